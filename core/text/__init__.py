"""Text analysis shared by every feature: words, stems, stop words, sentences, terms.

- `tokens`: words of a text (lower case, "ё" folded into "е"), script detection, clipping,
  a post's headline.
- `lemmas`: dictionary forms of Russian words (optional pymorphy3; measured, not the default).
- `stems`: Snowball stems, one cached PyStemmer per language and thread.
- `stopwords`: stop-word lists per language, read from `data/` (a shared base plus per-use
  extras: `answers`, `trends`, `questions`).
- `sentences`: sentence splitting (razdel, which knows Russian abbreviations and initials).
- `terms`: content stems of a text (answers) and the trend detector's `TermExtractor`.
"""
