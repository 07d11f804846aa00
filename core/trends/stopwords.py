"""Words that never make a trend: function words, and the filler every news post is made of."""

from __future__ import annotations

_RUSSIAN = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до
его ее ей ему если есть еще же за здесь и из или им их к как ко когда кто ли либо между меня мне
может мы на над надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под
при с со так также такой там те тем то того тоже той только том ты у уже хотя чего чей чем что
чтобы чье чья эта эти это этого этой этом этот я ею им ими нам нами них ним ней нею свой своя свое
свои своего своей своих своим сам сама само сами самый себя себе собой тот та тех тому туда тут
какой какая какое какие каких каким которые который которая которое которых которым котором
которой которого потому поэтому зато чтоб будто словно точно вдруг ведь вон вроде именно иначе
итак куда нибудь пусть разве сейчас совсем теперь тогда уж хоть через после перед около вокруг
против среди вместо кроме ради вне внутри возле вдоль сквозь насчет благодаря согласно навстречу
будет будут буду будем будете будешь была были было был стал стала стали стало становится
весь вся всё всем всеми всю всей всего сего сей сия оба обе обоих
один одна одно одни два две три четыре пять шесть семь восемь девять десять
первый второй третий раз раза разу
где-то кто-то что-то как-то какой-то когда-то почему-то
нет да не ни нибудь либо
тыс млн млрд руб
очень еще ещё уже почти лишь всего более менее больше меньше много мало несколько
здесь сюда оттуда отсюда везде всегда никогда иногда часто снова опять сразу затем потом
сегодня вчера завтра утром вечером днем ночью сейчас теперь
"""

_ENGLISH = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me
more most my myself no nor not now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves also get got new one two via amp
"""

# Stems of words news posts are made of whatever happens (reporting verbs, time words).
# Channel footers are deliberately absent: the detector learns those per channel.
_FILLER_STEMS = """
заяв сообщ рассказа отмет говор сказа пишет пиш написа подчеркнул добав уточн пояснил
ран такж котор год месяц недел дня днем ден час минут врем сегодн вчер завтр
числ раз случа дела дел человек люд люб нов больш ещ всег
"""

STOP_WORDS: frozenset[str] = frozenset((_RUSSIAN + _ENGLISH).replace("ё", "е").split())
FILLER_STEMS: frozenset[str] = frozenset(_FILLER_STEMS.split())
