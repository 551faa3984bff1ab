"""While the API serves, the collector leaves what existed at start alone and collects the
youngest generation less often; once it stops, both are as they were."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from resolvers.app import YOUNG_GENERATION_THRESHOLD, create_app

if TYPE_CHECKING:
    from domain.settings import Settings


async def test_the_collector_is_tuned_while_serving_and_restored_after(
    settings: Settings,
) -> None:
    before = gc.get_threshold()
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        serving = gc.get_threshold()
        frozen = gc.get_freeze_count()

    assert serving == (YOUNG_GENERATION_THRESHOLD, *before[1:])
    assert frozen > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
