"""A chart's labels on a phone: cut by the width they are drawn at (a Chinese character is about
twice as wide as a Latin letter), with room made for them so none is cut off at the left."""

from __future__ import annotations

from hub.cockpit.charts import MARGIN, PHONE_LABEL, label_room, short_label


def test_labels_are_cut_by_their_drawn_width():
    assert short_label("高龄老人津贴") == "高龄老人津贴"
    assert short_label("城乡居民最低生活保障申请") == "城乡居民最低生活…"
    assert short_label("Elderly care allowance") == "Elderly care allo…"
    assert short_label("Job-stabilisation refund") == "Job-stabilisation…"
    for text in ("城乡居民最低生活保障申请", "Job-stabilisation refund of unemployment insurance", "稳岗返还 refund"):
        shown = short_label(text)
        width = sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in shown.rstrip("…"))
        assert width <= PHONE_LABEL - 1


def test_chinese_labels_get_the_room_pygal_does_not_make():
    assert label_room(["Elderly care"]) == MARGIN
    assert label_room(["高龄老人津贴", "稳岗返还"]) == MARGIN + 6 * 6
    assert label_room([]) == MARGIN
