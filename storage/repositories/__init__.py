"""SQLAlchemy repositories; every method returns plain DTOs from core.models."""

from storage.repositories.channels import SqlChannelRepository
from storage.repositories.posts import SqlPostRepository
from storage.repositories.tenants import SqlTenantRepository, SqlUserRepository
from storage.repositories.uow import SqlUnitOfWork, UnitOfWorkFactory

__all__ = [
    "SqlChannelRepository",
    "SqlPostRepository",
    "SqlTenantRepository",
    "SqlUnitOfWork",
    "SqlUserRepository",
    "UnitOfWorkFactory",
]
