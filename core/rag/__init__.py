"""Questions answered from a chat's own posts: retrieval, LLM or extractive answers, citations.

Import from the submodules (core.rag.service, core.rag.models, ...): core.ports imports
core.rag.ports, so this package must not import core.ports itself.
"""
