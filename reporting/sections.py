"""The sections of 《事业单位法人年度报告书》 in the order and wording of the filed form (seed 000).

Labels are the form's own Chinese wording, kept as data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    required: bool = True
    group: str = ""  # rows printed under one spanning label
    unit: str = ""  # the unit the value is in, where the label does not say it


REGISTERED = "《事业单位法人证书》登载事项"

SECTIONS = [
    Section("credit_code", "统一社会信用代码", group=REGISTERED),
    Section("name", "单位名称", group=REGISTERED),
    Section("purpose", "宗旨和业务范围", group=REGISTERED),
    Section("address", "住所", group=REGISTERED),
    Section("legal_representative", "法定代表人", group=REGISTERED),
    Section("capital", "开办资金", group=REGISTERED, unit="万元"),
    Section("funding_source", "经费来源", group=REGISTERED),
    Section("sponsor", "举办单位", group=REGISTERED),
    Section("net_assets_begin", "年初数(万元)", group="资产损益情况"),
    Section("net_assets_end", "年末数(万元)", group="资产损益情况"),
    Section("online_name", "网上名称"),
    Section("staff_count", "从业人数"),
    Section("registration", "对《条例》和实施细则有关变更登记规定的执行情况"),
    Section("narrative", "开展业务活动情况"),
    Section("licences", "相关资质认可或执业许可证明文件及有效期"),
    Section("performance", "绩效和受奖惩及诉讼投诉情况"),
    Section("donations", "接受捐赠资助及使用情况"),
]
LABELS = {s.key: s.label for s in SECTIONS}
