"""Outer middlewares: log context, one database session per update, the chat's tenant."""

from bot.middlewares.context import LogContextMiddleware
from bot.middlewares.database import DatabaseMiddleware
from bot.middlewares.tenant import TenantMiddleware

__all__ = ["DatabaseMiddleware", "LogContextMiddleware", "TenantMiddleware"]
