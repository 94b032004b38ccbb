"""The workforce figures beyond headcounts, for one centre or many and a period: training and
进修, title promotions, and 编制 on the period's last day. The staff figures page shows them; the
summaries and the annual report (reporting) read them here, the layer they may import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from .establishment import EstablishmentPosition, establishment_at, establishment_brief
from .promotions import PromotionCounts, promotion_counts
from .training import TrainingCounts, training_counts


@dataclass(frozen=True)
class DevelopmentFigures:
    start: dt.date
    end: dt.date
    training: TrainingCounts
    promotions: PromotionCounts
    establishment: EstablishmentPosition


def development_figures(
    *,
    centre_ids: list[int],
    start: dt.date,
    end: dt.date,
    on_establishment: int | None = None,
    actual_by_centre: dict[int, int] | None = None,
) -> DevelopmentFigures:
    """Training, promotions and 编制 for the centres and period, in three queries (four when
    nothing gives the 在编 count).

    `on_establishment` is the 在编 staff on `end` when the caller counted it already (one centre),
    `actual_by_centre` the same per centre (a summary's read of the roster; a centre left out has
    none): either saves the query that counts them.
    """
    scope = Q(centre_id__any_of=centre_ids)  # one array parameter for a city's thousand centres
    if len(centre_ids) == 1:
        actual = on_establishment
        if actual is None and actual_by_centre is not None:
            actual = actual_by_centre.get(centre_ids[0], 0)
        position = establishment_at(centre_id=centre_ids[0], day=end, actual=actual)
    else:
        position = establishment_brief(centre_ids=centre_ids, day=end, actual=actual_by_centre)
    return DevelopmentFigures(
        start=start,
        end=end,
        training=training_counts(centre_ids=centre_ids, start=start, end=end),
        promotions=promotion_counts(scope=scope, start=start, end=end),
        establishment=position,
    )
