"""Files as offices and their systems write them, for the import-profile tests: a title over the
table, a 填报单位 line, merged group headers, a 合计 row, a signature line under it, months written
as text in several ways or as Excel dates, CSV in GB18030."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from services.import_layouts import GONGWEI_MONTHLY

# The 公卫 monthly sheet's groups as its merged headers show them, in the layout's order.
GONGWEI_GROUPS: list[tuple[str, list[str]]] = []
for header, _code, _scale in GONGWEI_MONTHLY.columns[1:]:
    group, _slash, item = header.partition("/")
    if not GONGWEI_GROUPS or GONGWEI_GROUPS[-1][0] != group:
        GONGWEI_GROUPS.append((group, []))
    GONGWEI_GROUPS[-1][1].append(item)
GONGWEI_ITEMS = [item for _g, items in GONGWEI_GROUPS for item in items]


def gongwei_monthly_xlsx(
    rows: list[tuple[str, str, list]],
    *,
    title: str = "2024年4月基本公共卫生服务项目工作进度月报表",
    extra_columns: tuple[str, ...] = (),
    total: bool = True,
) -> bytes:
    """A district's 基本公卫 monthly sheet: title, 填报单位, a two-row header (序号, 机构名称 and
    统一社会信用代码 merged down over both rows, each category merged across its items), one
    row per (name, credit code, values in GONGWEI_ITEMS order + extra columns), 合计, signatures.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "月报"
    width = 3 + len(GONGWEI_ITEMS) + len(extra_columns)
    sheet.cell(1, 1, title).font = Font(bold=True, size=16)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.cell(2, 1, "填报单位：重庆市沙坪坝区卫生健康委员会（公章）")
    sheet.cell(2, width - 1, "单位：人、次、份")
    for col, name in enumerate(("序号", "机构名称", "统一社会信用代码"), start=1):
        sheet.cell(3, col, name)
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    col = 4
    for group, items in GONGWEI_GROUPS:
        sheet.cell(3, col, group)
        sheet.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(items) - 1)
        for offset, item in enumerate(items):
            sheet.cell(4, col + offset, item)
        col += len(items)
    for name in extra_columns:  # a column the profile does not know, merged down like 序号
        sheet.cell(3, col, name)
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += 1
    row = 5
    sums = [0] * (len(GONGWEI_ITEMS) + len(extra_columns))
    for number, (name, code, values) in enumerate(rows, start=1):
        for c, value in enumerate([number, name, code, *values], start=1):
            sheet.cell(row, c, value)
        for i, value in enumerate(values):
            sums[i] += value if isinstance(value, int | float) else 0
        row += 1
    if total:
        sheet.cell(row, 1, "合  计")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        for i, value in enumerate(sums):
            sheet.cell(row, 4 + i, value)
        row += 1
    sheet.cell(row + 1, 1, "填表人：李录入　　审核人：彭娅　　填报日期：2024年5月8日")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HIS_HEADER = [
    "统计月份",
    "总诊疗人次",
    "门诊人次",
    "急诊人次",
    "门急诊人次",
    "出院人次",
    "中医诊疗人次",
    "门急诊收入(元)",
    "医疗业务收入(元)",
]


def his_outpatient_csv(rows: list[list], *, encoding: str = "gb18030", total=True) -> bytes:
    """A HIS export: a title line, the query's span, the header, one row per month, 合计."""
    lines = [
        "磁器口社区卫生服务中心门急诊工作量统计",
        "统计时间：2024-01-01至2024-06-30,,,,,,,,",
        ",".join(HIS_HEADER),
    ]
    sums = [0.0] * (len(HIS_HEADER) - 1)
    for row in rows:
        lines.append(",".join(_csv(v) for v in row))
        for i, value in enumerate(row[1:]):
            sums[i] += float(str(value).replace(",", "")) if _numeric(value) else 0
    if total:
        lines.append(",".join(["合计", *(_csv(v) for v in sums)]))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _numeric(value) -> bool:
    try:
        float(str(value).replace(",", ""))
        return True
    except ValueError:
        return False


def _csv(value) -> str:
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    return f'"{text}"' if "," in text else text


def his_outpatient_xlsx(rows: list[list]) -> bytes:
    """The same export saved as a workbook: months as real Excel dates (first of the month)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["磁器口社区卫生服务中心门急诊工作量统计"])
    sheet.append([])
    sheet.append(HIS_HEADER)
    for row in rows:
        sheet.append(row)
        cell = sheet.cell(sheet.max_row, 1)
        if isinstance(cell.value, dt.date):
            cell.number_format = "yyyy年m月"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DEPARTMENT_HEADER = ["科室", "门急诊人次", "出院人次", "中医诊疗人次", "总诊疗人次", "上转人次"]
# One centre's April by 科室 (numbers worked out by hand): 合计 = 4000, 25, 900, 4300, 16.
DEPARTMENT_ROWS = [
    ["全科医疗科", 3100, 20, 400, 3300, 12],
    ["中医科", 600, 0, 500, 650, 3],
    ["预防保健科", 300, 5, 0, 350, 1],
]


def department_month_xlsx(
    rows: list[list] = DEPARTMENT_ROWS, *, total: list | None = None, footer: bool = True
) -> bytes:
    """A centre's month broken down by 科室, as its office sends it: a merged title, 填报单位,
    the header, a row per 科室, 合计 (the sums unless `total` says otherwise), and the
    制表人/审核人 line with 审核人 under a figures column."""
    book = Workbook()
    sheet = book.active
    sheet.cell(1, 1, "磁器口社区卫生服务中心2024年4月分科室工作量统计表")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(DEPARTMENT_HEADER))
    sheet.cell(2, 1, "填报单位：重庆市沙坪坝区磁器口社区卫生服务中心")
    sheet.append(DEPARTMENT_HEADER)
    for row in rows:
        sheet.append(row)
    if total is None:
        total = [sum(row[i] for row in rows) for i in range(1, len(DEPARTMENT_HEADER))]
    sheet.append(["合计", *total])
    if footer:
        sheet.append(["制表人:张三", None, None, "审核人:李四"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
