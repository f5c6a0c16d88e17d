"""The rules of the published service levels: figures, and what is withheld."""

from hub.service_levels import MIN_PUBLISHED, Decided, service_levels


def decided(service: str, days: list[float], approved: int, late: int = 0) -> list[Decided]:
    return [Decided(service_id=service, approved=i < approved, on_time=i >= late, days=d) for i, d in enumerate(days)]


def test_figures_of_a_service_with_enough_requests():
    rows = decided("elderly-care-allowance", [1.0, 2.0, 3.0, 4.5, 10.0, 12.0], approved=4, late=1)
    (level,) = service_levels({"elderly-care-allowance": 8}, rows, {"elderly-care-allowance": [5, 4, 5, 3, 5]})
    assert level.filed == 8 and level.decided == 6
    assert level.approved_percent == 66.7 and level.on_time_percent == 83.3
    assert level.median_days == 3.8  # between 3.0 and 4.5
    assert level.ratings == 5 and level.average_rating == 4.4


def test_small_counts_are_withheld_so_they_point_at_nobody():
    few = decided("rare-permit", [1.0, 2.0], approved=2)
    levels = {
        level.service_id: level
        for level in service_levels(
            {"rare-permit": 3, "busy-service": 40},
            few + decided("busy-service", [1.0] * MIN_PUBLISHED, approved=MIN_PUBLISHED),
            {"busy-service": [5, 5, 4]},
            services=("unrequested-service",),
        )
    }
    rare = levels["rare-permit"]
    assert rare.filed is None and rare.decided is None and rare.median_days is None and rare.approved_percent is None
    busy = levels["busy-service"]
    assert busy.filed == 40 and busy.decided == MIN_PUBLISHED and busy.approved_percent == 100.0
    assert busy.ratings is None and busy.average_rating is None  # three ratings: withheld
    nothing = levels["unrequested-service"]  # listed all the same; none points at nobody
    assert nothing.filed == 0 and nothing.decided == 0 and nothing.ratings == 0 and nothing.median_days is None
