"""The default indicator catalogue (domain.md §2.2, §4.2), loaded by a data migration.

Names are the official Chinese terms, kept as data. Administrators edit the catalogue in the admin;
loading again only adds what is missing.
"""

from __future__ import annotations

# (code, name, category, unit, aggregation, frequency, whole numbers, largest plausible value)
F, S, M, Y = "flow", "stock", "monthly", "yearly"
INDICATORS = [
    # 居民健康档案管理
    ("res_pop", "辖区常住人口", "records", "人", S, Y, True, 5_000_000),
    ("rec_filed", "累计建档人数", "records", "人", S, M, True, 5_000_000),
    ("rec_e_filed", "累计建立电子健康档案人数", "records", "人", S, M, True, 5_000_000),
    ("rec_active", "有动态记录的档案份数", "records", "份", S, M, True, 5_000_000),
    ("rec_total", "档案总份数", "records", "份", S, M, True, 5_000_000),
    # 健康教育
    ("edu_lectures", "健康知识讲座次数", "education", "次", F, M, True, 1_000),
    ("edu_lecture_people", "健康知识讲座参加人次", "education", "人次", F, M, True, 100_000),
    ("edu_consults", "公众健康咨询活动次数", "education", "次", F, M, True, 1_000),
    ("edu_board_updates", "宣传栏更新次数", "education", "次", F, M, True, 1_000),
    ("edu_materials", "发放印刷资料份数", "education", "份", F, M, True, 1_000_000),
    # 预防接种
    ("vac_cert_due", "应建立预防接种证人数", "vaccination", "人", F, M, True, 100_000),
    ("vac_cert_done", "建立预防接种证人数", "vaccination", "人", F, M, True, 100_000),
    ("vac_due", "免疫规划疫苗应接种人次", "vaccination", "人次", F, M, True, 1_000_000),
    ("vac_done", "免疫规划疫苗实际接种人次", "vaccination", "人次", F, M, True, 1_000_000),
    # 0–6岁儿童健康管理
    ("live_births", "活产数", "children", "人", F, M, True, 100_000),
    ("newborn_visited", "接受1次及以上访视的新生儿人数", "children", "人", F, M, True, 100_000),
    ("child_pop", "辖区内0～6岁儿童数", "children", "人", S, Y, True, 1_000_000),
    ("child_managed", "接受1次及以上随访的0～6岁儿童数", "children", "人", S, M, True, 1_000_000),
    # 孕产妇健康管理
    ("early_registered", "孕13周前建册并首次产前检查人数", "maternal", "人", F, M, True, 100_000),
    ("postpartum_visited", "产后28天内接受访视的产妇人数", "maternal", "人", F, M, True, 100_000),
    # 老年人健康管理
    ("elderly_pop", "辖区内65岁及以上常住居民数", "elderly", "人", S, Y, True, 2_000_000),
    ("elderly_managed", "接受健康管理的65岁及以上居民数", "elderly", "人", S, M, True, 2_000_000),
    ("elderly_checked", "接受体检的65岁及以上居民数", "elderly", "人", S, M, True, 2_000_000),
    # 高血压、2型糖尿病
    ("htn_expected", "应管理高血压患者数", "chronic", "人", S, Y, True, 2_000_000),
    ("htn_managed", "已管理高血压患者数", "chronic", "人", S, M, True, 2_000_000),
    ("htn_standard", "高血压规范管理人数", "chronic", "人", S, M, True, 2_000_000),
    ("htn_controlled", "高血压最近一次随访血压达标人数", "chronic", "人", S, M, True, 2_000_000),
    ("dm_expected", "应管理2型糖尿病患者数", "chronic", "人", S, Y, True, 2_000_000),
    ("dm_managed", "已管理2型糖尿病患者数", "chronic", "人", S, M, True, 2_000_000),
    ("dm_standard", "2型糖尿病规范管理人数", "chronic", "人", S, M, True, 2_000_000),
    (
        "dm_controlled",
        "2型糖尿病最近一次随访空腹血糖达标人数",
        "chronic",
        "人",
        S,
        M,
        True,
        2_000_000,
    ),
    # 严重精神障碍
    ("smi_registered", "在册严重精神障碍患者数", "mental", "人", S, M, True, 100_000),
    ("smi_managed", "在管严重精神障碍患者数", "mental", "人", S, M, True, 100_000),
    ("smi_standard", "严重精神障碍规范管理人数", "mental", "人", S, M, True, 100_000),
    # 肺结核
    ("tb_notified", "通知基层管理的确诊肺结核患者数", "tuberculosis", "人", F, M, True, 10_000),
    ("tb_managed", "已管理肺结核患者数", "tuberculosis", "人", F, M, True, 10_000),
    ("tb_completed", "已完成治疗肺结核患者数", "tuberculosis", "人", F, M, True, 10_000),
    ("tb_regular", "按要求规则服药肺结核患者数", "tuberculosis", "人", F, M, True, 10_000),
    # 中医药健康管理
    ("tcm_elderly", "接受中医药健康管理的65岁及以上居民数", "tcm", "人", S, M, True, 2_000_000),
    ("child_0_36_pop", "应管理0～36个月儿童数", "tcm", "人", S, Y, True, 1_000_000),
    ("tcm_child", "接受中医药健康管理的0～36个月儿童数", "tcm", "人", S, M, True, 1_000_000),
    # 传染病及突发公共卫生事件
    ("id_registered", "登记传染病病例数", "infectious", "例", F, M, True, 100_000),
    ("id_reported", "网络报告的传染病病例数", "infectious", "例", F, M, True, 100_000),
    ("id_timely", "报告及时的传染病病例数", "infectious", "例", F, M, True, 100_000),
    ("pheic_reported", "报告的突发公共卫生事件相关信息数", "infectious", "条", F, M, True, 10_000),
    (
        "pheic_timely",
        "及时报告的突发公共卫生事件相关信息数",
        "infectious",
        "条",
        F,
        M,
        True,
        10_000,
    ),
    # 卫生计生监督协管
    ("sup_found", "发现的卫生监督事件或线索次数", "supervision", "次", F, M, True, 10_000),
    ("sup_reported", "报告的卫生监督事件或线索次数", "supervision", "次", F, M, True, 10_000),
    ("sup_inspections", "协助开展的实地巡查次数", "supervision", "次", F, M, True, 10_000),
    # 家庭医生签约
    ("fd_signed", "家庭医生签约服务人数", "family_doctor", "人", S, M, True, 5_000_000),
    ("key_pop", "辖区重点人群数", "family_doctor", "人", S, Y, True, 5_000_000),
    ("fd_key_signed", "重点人群签约人数", "family_doctor", "人", S, M, True, 5_000_000),
    # 医疗服务
    ("total_visits", "总诊疗人次", "medical", "人次", F, M, True, 10_000_000),
    ("opd_visits", "门急诊人次", "medical", "人次", F, M, True, 10_000_000),
    ("discharges", "出院人次", "medical", "人次", F, M, True, 1_000_000),
    ("medical_income", "医疗业务收入", "medical", "万元", F, M, False, 1_000_000),
    ("opd_income", "门急诊收入", "medical", "万元", F, M, False, 1_000_000),
    ("referrals_up", "上转人次", "medical", "人次", F, M, True, 1_000_000),
    ("referrals_down", "下转人次", "medical", "人次", F, M, True, 1_000_000),
    ("tcm_visits", "中医诊疗人次", "medical", "人次", F, M, True, 10_000_000),
    ("tcm_nondrug_visits", "门诊中医非药物疗法诊疗人次", "medical", "人次", F, M, True, 10_000_000),
]

# Rates: code, name, category, numerator code, denominator code, scale.
RATES = [
    ("rec_rate", "健康档案建档率", "records", "rec_filed", "res_pop", 100),
    ("rec_e_rate", "电子健康档案建档率", "records", "rec_e_filed", "res_pop", 100),
    ("rec_use_rate", "健康档案使用率", "records", "rec_active", "rec_total", 100),
    ("vac_cert_rate", "建证率", "vaccination", "vac_cert_done", "vac_cert_due", 100),
    ("vac_rate", "免疫规划疫苗接种率", "vaccination", "vac_done", "vac_due", 100),
    ("newborn_visit_rate", "新生儿访视率", "children", "newborn_visited", "live_births", 100),
    ("child_mgmt_rate", "儿童健康管理率", "children", "child_managed", "child_pop", 100),
    ("early_reg_rate", "早孕建册率", "maternal", "early_registered", "live_births", 100),
    ("postpartum_rate", "产后访视率", "maternal", "postpartum_visited", "live_births", 100),
    ("elderly_mgmt_rate", "老年人健康管理率", "elderly", "elderly_managed", "elderly_pop", 100),
    (
        "elderly_check_rate",
        "65岁以上老年人体检率",
        "elderly",
        "elderly_checked",
        "elderly_pop",
        100,
    ),
    ("htn_mgmt_rate", "高血压患者健康管理率", "chronic", "htn_managed", "htn_expected", 100),
    ("htn_std_rate", "高血压患者规范管理率", "chronic", "htn_standard", "htn_managed", 100),
    ("htn_ctrl_rate", "管理人群血压控制率", "chronic", "htn_controlled", "htn_managed", 100),
    ("dm_mgmt_rate", "2型糖尿病患者健康管理率", "chronic", "dm_managed", "dm_expected", 100),
    ("dm_std_rate", "2型糖尿病患者规范管理率", "chronic", "dm_standard", "dm_managed", 100),
    ("dm_ctrl_rate", "管理人群血糖控制率", "chronic", "dm_controlled", "dm_managed", 100),
    ("smi_prevalence", "严重精神障碍报告患病率", "mental", "smi_registered", "res_pop", 1000),
    ("smi_mgmt_rate", "严重精神障碍患者管理率", "mental", "smi_managed", "smi_registered", 100),
    ("smi_std_rate", "严重精神障碍患者规范管理率", "mental", "smi_standard", "smi_registered", 100),
    ("tb_mgmt_rate", "肺结核患者管理率", "tuberculosis", "tb_managed", "tb_notified", 100),
    ("tb_regular_rate", "肺结核患者规则服药率", "tuberculosis", "tb_regular", "tb_completed", 100),
    ("tcm_elderly_rate", "老年人中医药健康管理率", "tcm", "tcm_elderly", "elderly_pop", 100),
    (
        "tcm_child_rate",
        "0～36个月儿童中医药健康管理服务率",
        "tcm",
        "tcm_child",
        "child_0_36_pop",
        100,
    ),
    ("id_report_rate", "传染病疫情报告率", "infectious", "id_reported", "id_registered", 100),
    ("id_timely_rate", "传染病疫情报告及时率", "infectious", "id_timely", "id_reported", 100),
    (
        "pheic_rate",
        "突发公共卫生事件相关信息报告率",
        "infectious",
        "pheic_timely",
        "pheic_reported",
        100,
    ),
    ("sup_report_rate", "卫生监督协管信息报告率", "supervision", "sup_reported", "sup_found", 100),
    ("fd_rate", "全人群签约率", "family_doctor", "fd_signed", "res_pop", 100),
    ("fd_key_rate", "重点人群签约率", "family_doctor", "fd_key_signed", "key_pop", 100),
    ("tcm_visit_share", "中医诊疗人次占比", "medical", "tcm_visits", "total_visits", 100),
    (
        "tcm_nondrug_share",
        "门诊中医非药物疗法诊疗人次占比",
        "medical",
        "tcm_nondrug_visits",
        "total_visits",
        100,
    ),
    ("opd_cost", "门急诊次均费用", "medical", "opd_income", "opd_visits", 10000),
]

# Extra rules beyond "a rate's numerator ≤ its denominator": (left, operator, right).
RULES = [
    ("rec_e_filed", "<=", "rec_filed"),
    ("opd_visits", "<=", "total_visits"),
    ("tcm_visits", "<=", "total_visits"),
    ("tcm_nondrug_visits", "<=", "tcm_visits"),
    ("opd_income", "<=", "medical_income"),
    ("elderly_checked", "<=", "elderly_managed"),
    ("fd_key_signed", "<=", "fd_signed"),
    ("smi_standard", "<=", "smi_managed"),
]
# Rates whose numerator may exceed the denominator legitimately.
NO_CEILING = {"opd_cost"}

ACTIVITY_KINDS = [
    ("义诊", "人次"),
    ("健康讲座", "人次"),
    ("集中下社区体检", "人次"),
    ("培训", "人次"),
    ("应急演练", "人次"),
    ("消防演练", "人次"),
    ("党员大会", "人"),
    ("支部委员会", "人"),
    ("党课", "人"),
    ("主题党日", "人"),
    # What the seeds' summaries count besides (000_: 支部共建活动6次, 集体谈话11次, 个别谈话15人次,
    # 宣传月1次, 安全生产研判11次, 反恐防暴演练1次; 组织生活会 with the 三会一课).
    ("支部共建", "人次"),
    ("组织生活会", "人"),
    ("集体谈话", "人"),
    ("个别谈话", "人次"),
    ("宣传月", "人次"),
    ("安全生产研判", "人次"),
    ("反恐防暴演练", "人次"),
]


def load_catalogue(indicator_model, rate_model, rule_model, kind_model) -> None:
    """Create what of the default catalogue is missing; never overwrite an administrator's edit."""
    by_code = {}
    for position, (code, name, category, unit, agg, freq, whole, ceiling) in enumerate(INDICATORS):
        by_code[code], _ = indicator_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "unit": unit,
                "aggregation": agg,
                "frequency": freq,
                "whole_numbers": whole,
                "max_value": ceiling,
                "position": position,
            },
        )
    for position, (code, name, category, num, den, scale) in enumerate(RATES):
        rate_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "numerator": by_code[num],
                "denominator": by_code[den],
                "scale": scale,
                "position": position,
            },
        )
        if code not in NO_CEILING:
            rule_model.objects.get_or_create(left=by_code[num], operator="<=", right=by_code[den])
    for left, operator, right in RULES:
        rule_model.objects.get_or_create(
            left=by_code[left], operator=operator, right=by_code[right]
        )
    for position, (name, counts) in enumerate(ACTIVITY_KINDS):
        kind_model.objects.get_or_create(
            name=name, defaults={"counts_label": counts, "position": position}
        )
