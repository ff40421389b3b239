"""Demo data for `manage.py seed_demo`: departments and services of a Chinese city.

Only the seed command uses this module; nothing in the running portal depends on it.
"""

import base64

from django_otp.oath import totp


def t(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def f(name: str, kind: str, zh: str, en: str, required: bool = True, **extra) -> dict:
    return {"name": name, "type": kind, "label": t(zh, en), "required": required, **extra}


def choices(*pairs) -> list[dict]:
    return [{"value": value, "label": t(zh, en)} for value, zh, en in pairs]


APPLICANT = {
    "key": "applicant",
    "title": t("申请人信息", "About you"),
    "fields": [
        f("applicant_name", "text", "姓名", "Full name", max_length=50, verified="full_name"),
        f("applicant_id_number", "id_number", "公民身份号码", "Resident ID number"),
        f("applicant_mobile", "mobile", "手机号码", "Mobile number"),
    ],
}

LIFE_EVENTS = [
    ("birth", "出生", "Having a baby"),
    ("schooling", "上学", "Going to school"),
    ("work", "就业", "Work"),
    ("marriage", "婚姻", "Marriage"),
    ("housing", "住房", "Housing"),
    ("business", "开办企业", "Starting a business"),
    ("health", "医疗健康", "Health"),
    ("retirement", "退休", "Retirement"),
]

# Document types: (code, zh, en, issuing department, years valid or None).
DOCUMENT_TYPES = [
    ("resident_id_card", "居民身份证", "Resident identity card", "psb", 20),
    ("household_register", "居民户口簿", "Household register", "psb", None),
    ("marriage_certificate", "结婚证", "Marriage certificate", "mca", None),
    ("food_business_permit", "食品经营许可证", "Food business permit", "amr", 5),
    ("clinic_record", "诊所备案凭证", "Clinic registration record", "health", None),
    ("residence_permit", "居住证", "Residence permit", "psb", 1),
]

# What each service issues when approved, and which materials a wallet document meets.
ISSUES = {
    "marriage-registration": "marriage_certificate",
    "restaurant-opening": "food_business_permit",
    "medical-institution-licence": "clinic_record",
    "residence-permit": "residence_permit",
}
MATERIAL_DOCUMENTS = {
    "居民身份证": "resident_id_card",
    "双方居民身份证": "resident_id_card",
    "经营者身份证明": "resident_id_card",
    "户口簿": "household_register",
    "申请人居民身份证": "resident_id_card",
    "双方户口簿": "household_register",
    "结婚证": "marriage_certificate",
}

# Documents the departments' registries hold for the demo citizens (by mobile).
WALLET = {
    "13800138001": ["resident_id_card", "household_register"],
    "13800138002": ["resident_id_card"],
}

# Registries kept in the portal's database, with demo records keyed by ID number.
REGISTRIES = [
    ("population", "人口信息库", "Population registry", "psb", ["full_name", "birth_date", "hukou_address", "mobile"]),
    ("marriage", "婚姻登记信息库", "Marriage registry", "mca", ["marital_status"]),
    ("enterprise", "市场主体登记库", "Enterprise registry", "amr", ["enterprise_name"]),
    ("degree", "学历学位信息库", "Degree registry", "hrss", ["degree"]),
]
REGISTRY_RECORDS = {
    "population": {
        "11010519491231002X": {
            "full_name": "张伟",
            "birth_date": "1949-12-31",
            "hukou_address": "北京市朝阳区幸福路1号",
            "mobile": "13800138001",
        },
        "440305199003071236": {
            "full_name": "李娜",
            "birth_date": "1990-03-07",
            "hukou_address": "深圳市南山区科技路8号",
            "mobile": "13800138002",
        },
    },
    "marriage": {
        "11010519491231002X": {"marital_status": "未婚"},
        "440305199003071236": {"marital_status": "未婚"},
    },
    "enterprise": {"440305199003071236": {"enterprise_name": "深圳市李记餐饮管理有限公司"}},
    "degree": {"440305199003071236": {"degree": "硕士研究生"}},
}
# Services that ask registries, with the purpose shown to the citizen.
DATA_REQUIREMENTS = {
    "marriage-registration": [
        (
            "population",
            "核对结婚登记当事人的身份和户籍",
            "To confirm the identity and household registration of the couple",
        ),
        ("marriage", "核对当事人目前的婚姻状况", "To confirm the current marital status"),
    ],
    "public-rental-housing": [
        ("population", "核对申请家庭的户籍", "To confirm the household registration of the family"),
    ],
}

DEPARTMENTS = [
    ("psb", "市公安局", "Municipal Public Security Bureau"),
    ("mca", "市民政局", "Municipal Civil Affairs Bureau"),
    ("amr", "市市场监督管理局", "Municipal Administration for Market Regulation"),
    ("hrss", "市人力资源和社会保障局", "Municipal Human Resources and Social Security Bureau"),
    ("housing", "市住房和城乡建设局", "Municipal Housing and Urban-Rural Development Bureau"),
    ("health", "市卫生健康委员会", "Municipal Health Commission"),
    ("mip", "市医疗保障局", "Municipal Healthcare Security Bureau"),
    ("fire", "市消防救援支队", "Municipal Fire and Rescue Detachment"),
]

# Each stage: (name_zh, name_en, [(department code, step name zh, step name en, role)]).
SERVICES = [
    {
        "code": "newborn-registration",
        "life_events": ["birth", "health"],
        "keywords": "新生儿 落户 报户口 医保 出生证 baby newborn hukou insurance",
        "name": ("新生儿出生登记（出生“一件事”）", "Newborn registration (the birth bundle)"),
        "summary": (
            "一次申请，办理出生医学证明核验、户口登记和城乡居民医保参保。",
            "One application for the birth certificate check, household registration and medical insurance enrolment.",
        ),
        "lead": "psb",
        "days": 10,
        "materials": [
            ("出生医学证明", "Birth medical certificate", True),
            ("父母双方居民身份证", "Both parents' resident ID cards", True),
            ("户口簿", "Household register", True),
            ("结婚证", "Marriage certificate", False),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "child",
                "title": t("新生儿信息", "About the baby"),
                "fields": [
                    f("child_name", "text", "新生儿姓名", "Baby's name", max_length=50),
                    f(
                        "child_sex",
                        "choice",
                        "性别",
                        "Sex",
                        choices=choices(("m", "男", "Male"), ("f", "女", "Female")),
                    ),
                    f("birth_date", "date", "出生日期", "Date of birth"),
                    f(
                        "birth_certificate_no",
                        "text",
                        "出生医学证明编号",
                        "Birth medical certificate number",
                        max_length=20,
                    ),
                    f("hospital", "text", "出生医院", "Hospital of birth", max_length=100),
                ],
            },
        ],
        "stages": [
            (
                "出生医学证明核验",
                "Birth certificate check",
                [("health", "出生医学证明核验", "Check the birth medical certificate", "reviewer")],
            ),
            (
                "户口登记",
                "Household registration",
                [("psb", "出生户口登记", "Register the birth in the household", "reviewer")],
            ),
            (
                "医保参保",
                "Medical insurance",
                [("mip", "城乡居民医保参保登记", "Enrol in resident medical insurance", "reviewer")],
            ),
        ],
    },
    {
        "code": "restaurant-opening",
        "life_events": ["business"],
        "keywords": "餐馆 饭店 开店 营业执照 食品经营许可证 消防 restaurant food licence shop",
        "name": ("开办餐饮店（“一件事”）", "Opening a restaurant"),
        "summary": (
            "营业执照办理后，食品经营许可与消防安全检查并联办理。",
            "After the business licence, the food business permit and the fire safety check run in parallel.",
        ),
        "lead": "amr",
        "days": 15,
        "materials": [
            ("经营者身份证明", "Operator's identity document", True),
            ("经营场所使用证明", "Proof of the right to use the premises", True),
            ("食品安全管理制度", "Food safety management rules", True, 5),
            ("场所平面布局图", "Floor plan of the premises", True),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "business",
                "title": t("经营信息", "About the business"),
                "fields": [
                    f("business_name", "text", "店铺名称", "Name of the restaurant", max_length=100),
                    f("address", "text", "经营场所地址", "Address of the premises", max_length=200),
                    f("floor_area", "integer", "经营面积（平方米）", "Floor area (square metres)", min=1, max=100000),
                    f("seats", "integer", "座位数", "Number of seats", min=0, max=10000),
                    f("scope", "textarea", "经营范围", "Business scope", max_length=500),
                ],
            },
        ],
        "stages": [
            ("营业执照", "Business licence", [("amr", "营业执照登记", "Register the business licence", "reviewer")]),
            (
                "许可与检查（并联）",
                "Permit and inspection (in parallel)",
                [
                    ("amr", "食品经营许可", "Grant the food business permit", "reviewer"),
                    ("fire", "公众聚集场所消防安全检查", "Fire safety check of a public venue", "reviewer"),
                ],
            ),
        ],
    },
    {
        "code": "marriage-registration",
        "life_events": ["marriage"],
        "keywords": "结婚 领证 婚姻登记 marry wedding marriage certificate",
        "name": ("内地居民结婚登记预约", "Marriage registration (mainland residents)"),
        "summary": (
            "在线提交结婚登记申请，民政部门审核后预约现场颁证。",
            "Apply online; after review the civil affairs office books the ceremony.",
        ),
        "lead": "mca",
        "days": 5,
        "materials": [
            ("双方居民身份证", "Both parties' resident ID cards", True),
            ("双方户口簿", "Both parties' household registers", True),
            ("近期二寸合影照片", "A recent joint two-inch photo", True),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "partner",
                "title": t("另一方信息", "About your partner"),
                "fields": [
                    f("partner_name", "text", "另一方姓名", "Partner's full name", max_length=50),
                    f("partner_id_number", "id_number", "另一方公民身份号码", "Partner's resident ID number"),
                    f("preferred_date", "date", "希望登记日期", "Preferred date"),
                    f(
                        "previously_married",
                        "choice",
                        "双方是否有离婚或丧偶经历",
                        "Has either of you been married before?",
                        choices=choices(("no", "否", "No"), ("yes", "是", "Yes")),
                    ),
                ],
            },
            {
                "key": "previous_marriage",
                "title": t("原婚姻情况", "The earlier marriage"),
                "fields": [
                    f(
                        "previous_marriage_end",
                        "choice",
                        "原婚姻解除方式",
                        "How the earlier marriage ended",
                        choices=choices(("divorce", "离婚", "Divorce"), ("death", "丧偶", "Death of the spouse")),
                        show_if={"field": "previously_married", "op": "equals", "value": "yes"},
                    ),
                    f(
                        "previous_certificate_no",
                        "text",
                        "离婚证或配偶死亡证明编号",
                        "Number of the divorce certificate or death certificate",
                        max_length=40,
                        show_if={"field": "previously_married", "op": "equals", "value": "yes"},
                    ),
                ],
            },
        ],
        "stages": [
            ("受理", "Acceptance", [("mca", "窗口受理", "Check the application is complete", "clerk")]),
            ("审核", "Review", [("mca", "婚姻登记审核", "Review the marriage registration", "reviewer")]),
        ],
    },
    {
        "code": "unemployment-registration",
        "life_events": ["work"],
        "keywords": "失业 失业金 就业登记 jobless unemployed benefits",
        "name": ("失业登记", "Unemployment registration"),
        "summary": (
            "登记失业，享受就业服务和失业保险待遇。",
            "Register as unemployed for job services and unemployment benefits.",
        ),
        "lead": "hrss",
        "days": 3,
        "materials": [
            ("居民身份证", "Resident ID card", True),
            ("解除劳动合同证明", "Proof of the end of employment", True),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "employment",
                "title": t("原就业情况", "Your last job"),
                "fields": [
                    f("last_employer", "text", "原工作单位", "Last employer", max_length=100),
                    f("employment_end", "date", "劳动合同终止日期", "Date the employment ended"),
                    f(
                        "reason",
                        "choice",
                        "离职原因",
                        "Why it ended",
                        choices=choices(
                            ("contract_end", "合同期满", "The contract ended"),
                            ("dismissed", "被解除劳动合同", "Dismissed by the employer"),
                            ("closure", "单位关闭", "The employer closed"),
                        ),
                    ),
                ],
            },
        ],
        "stages": [("审核", "Review", [("hrss", "失业登记审核", "Review the unemployment registration", "reviewer")])],
    },
    {
        "code": "public-rental-housing",
        "life_events": ["housing"],
        "keywords": "公租房 保障房 廉租房 租房 social housing rent",
        "name": ("公共租赁住房申请", "Public rental housing application"),
        "summary": (
            "住建部门受理后，民政部门核对收入、公安部门核对户籍，并联办理后由住建部门审核。",
            "After acceptance, civil affairs checks income and public security checks residence in parallel; housing then decides.",
        ),
        "lead": "housing",
        "days": 20,
        "materials": [
            ("申请人居民身份证", "Applicant's resident ID card", True),
            ("结婚证", "Marriage certificate", True),
            ("现住房情况说明", "Statement of current housing", True, 10),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "household",
                "title": t("家庭情况", "Your household"),
                "fields": [
                    f("household_size", "integer", "家庭人口数", "People in the household", min=1, max=20),
                    f(
                        "monthly_income",
                        "integer",
                        "家庭月收入（元）",
                        "Household monthly income (yuan)",
                        min=0,
                        max=10000000,
                    ),
                    f("current_address", "text", "现居住地址", "Current address", max_length=200),
                ],
            },
        ],
        "stages": [
            ("受理", "Acceptance", [("housing", "窗口受理", "Check the application is complete", "clerk")]),
            (
                "联审（并联）",
                "Joint checks (in parallel)",
                [
                    ("mca", "家庭收入核对", "Check household income", "reviewer"),
                    ("psb", "户籍核查", "Check household registration", "reviewer"),
                ],
            ),
            ("审核", "Decision", [("housing", "保障资格审核", "Decide on eligibility", "reviewer")]),
        ],
    },
    {
        "code": "residence-permit",
        "life_events": ["housing", "work", "schooling"],
        "keywords": "居住证 暂住证 积分 residence permit migrant",
        "name": ("居住证申领", "Residence permit"),
        "summary": (
            "在本市居住半年以上的非本市户籍人员申领居住证。",
            "For people without local household registration who have lived here six months or more.",
        ),
        "lead": "psb",
        "days": 10,
        "materials": [("居民身份证", "Resident ID card", True), ("居住证明", "Proof of residence", True)],
        "groups": [
            APPLICANT,
            {
                "key": "residence",
                "title": t("居住情况", "Where you live"),
                "fields": [
                    f("residence_address", "text", "居住地址", "Address", max_length=200),
                    f("residence_since", "date", "起始居住日期", "Living there since"),
                    f(
                        "basis",
                        "choice",
                        "申领依据",
                        "Basis",
                        choices=choices(
                            ("employment", "合法稳定就业", "Stable employment"),
                            ("residence", "合法稳定住所", "Stable residence"),
                            ("study", "连续就读", "Continuous study"),
                        ),
                    ),
                ],
            },
        ],
        "stages": [("审核", "Review", [("psb", "居住证审核", "Review the residence permit", "reviewer")])],
    },
    {
        "code": "medical-institution-licence",
        "life_events": ["business", "health"],
        "keywords": "诊所 门诊 医疗机构 备案 clinic doctor",
        "name": ("诊所备案", "Clinic registration"),
        "summary": (
            "开办诊所的备案，卫生健康部门审核。",
            "Registration of a new clinic, reviewed by the health commission.",
        ),
        "lead": "health",
        "days": 15,
        "materials": [
            ("诊所备案信息表", "Clinic registration form", True),
            ("医师执业证书", "Physician practising certificate", True),
        ],
        "groups": [
            APPLICANT,
            {
                "key": "clinic",
                "title": t("诊所信息", "About the clinic"),
                "fields": [
                    f("clinic_name", "text", "诊所名称", "Clinic name", max_length=100),
                    f(
                        "credit_code",
                        "credit_code",
                        "统一社会信用代码",
                        "Unified social credit code",
                        required=False,
                    ),
                    f("clinic_address", "text", "地址", "Address", max_length=200),
                ],
            },
        ],
        "stages": [("审核", "Review", [("health", "诊所备案审核", "Review the clinic registration", "reviewer")])],
    },
]

DEMO_PASSWORD = "Demo@2026!"

# The key of the authenticator every demo staff account and the demo system administrator
# sign in with as their second factor (published like the password: demo data only). Add it
# to an authenticator app by its base32 form that seed_demo prints, or ask `make demo-code`.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


def demo_key_base32() -> str:
    """The demo authenticator key as an authenticator app asks for it."""
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()


def demo_code(*, steps_ahead: int = 0) -> str:
    """The six digits an authenticator app with the demo key shows now; a step ahead is the
    next 30 seconds' code, which the portal also takes (for a phone whose clock is fast)."""
    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY), drift=steps_ahead):06d}"


CITIZENS = [
    ("13800138001", "zhangwei@example.cn", "张伟"),
    ("13800138002", "lina@example.cn", "李娜"),
]
