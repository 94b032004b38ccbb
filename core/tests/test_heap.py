import gc

from core import heap


def test_settle_freezes_start_up_and_widens_the_young_generation():
    before = gc.get_threshold()
    try:
        heap.settle()
        assert gc.get_threshold() == (heap.YOUNG, *before[1:])
        assert gc.get_freeze_count() > 0  # this test's own module among what start-up loaded
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
