"""search keys with synonyms: every product's search text recomputed (issue 15)

catalogue/search.py now stores each term with the other names of its produce (土豆 = 马铃薯 =
洋芋, …), so that any of them finds every product named by another. The keys are derived data:
this recomputes them for the products already there (`dongxi catalogue reindex` does the same
after a later change of the list). Downgrading leaves the richer keys, which older code reads
as it reads any keys.

Revision ID: 0018
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from catalogue.products import reindex_products
    from kiosk_api.model_registry import import_all_models

    import_all_models()
    with Session(bind=op.get_bind()) as session:
        reindex_products(session)
        session.flush()


def downgrade() -> None:
    pass
