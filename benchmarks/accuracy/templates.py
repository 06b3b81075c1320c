"""Document families for the accuracy corpus: text, expected verdict, spans that must be found.

Written for this benchmark, apart from training/ and tests/fixtures/: different units,
wording and slots, so the figures say how secscan does on text it was not tuned on.
Names, numbers and places are invented; ID numbers are generated with a valid GB 11643-1999
check digit and a fictitious birth date.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

UNITS = ["某市生态环境局", "某县农业农村局", "某区住房和城乡建设局", "某市交通运输局", "某县教育体育局", "某区民政局"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志刚", "海燕", "晓东", "春梅", "国庆", "文静", "宏伟", "秀英"]
POSTS = ["办公室主任", "法规科科长", "财务科副科长", "信息中心主任", "规划科科长"]
PUBLIC_OPENINGS = [
    "为进一步增强干部职工的保密意识,{unit}近日组织开展了保密知识专题学习。",
    "{unit}结合信息公开工作实际,对保密审查流程进行了梳理和完善。",
    "近日,{unit}召开保密工作会议,传达学习上级有关保密工作的部署要求。",
]
PUBLIC_BODIES = [
    "会议指出,国家秘密分为绝密、机密、秘密三个密级,各级机关要严格区分国家秘密和工作秘密,依法履行定密职责。",
    "学习中,大家重温了保密法关于涉密人员管理的规定,了解了脱密期管理、出境审批等要求。",
    "讲解人结合泄密案例指出,某单位工作人员曾私自携带机密级文件外出,造成严重后果,教训深刻。",
    "会议要求,拟公开的信息要严格执行先审查后公开制度,杜绝未经审查发布信息。",
]


@dataclass(frozen=True)
class Labelled:
    family: str
    text: str
    verdict: str  # pass | review | block
    spans: tuple[tuple[str, str], ...] = field(default=())  # (rule, text that must be found)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def resident_id(rng: random.Random) -> str:
    """A GB 11643-1999 number with a valid check digit (region 110101, invented birth date)."""
    body = f"110101{rng.randint(1960, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


def _article(rng: random.Random) -> Labelled:
    unit = rng.choice(UNITS)
    text = "\n".join([rng.choice(PUBLIC_OPENINGS).format(unit=unit), *rng.sample(PUBLIC_BODIES, 3),
                      "(此件公开发布)" if rng.random() < 0.5 else "本文由单位办公室供稿。"])
    return Labelled("article", text, "pass")


def _gongshi(rng: random.Random) -> Labelled:
    lines = [f"{rng.choice(UNITS)}党组关于干部任前公示的公告", "经研究,拟对以下同志进行任前公示:"]
    for _ in range(2):
        lines.append(f"{person(rng)},{rng.randint(1975, 1990)}年生,现任{rng.choice(POSTS)},拟任{rng.choice(POSTS)}。")
    lines.append(f"公示期:2026年{rng.randint(1, 9)}月{rng.randint(1, 20)}日起5个工作日。监督电话:0000-{rng.randint(1000000, 9999999)}。")
    return Labelled("gongshi", "\n".join(lines), "pass")


def _annual(rng: random.Random) -> Labelled:
    unit = rng.choice(UNITS)
    text = (f"{unit}2025年政府信息公开工作年度报告\n本年度收到政府信息公开申请{rng.randint(20, 90)}件,"
            f"予以公开{rng.randint(10, 20)}件,不予公开{rng.randint(1, 5)}件,其中属于国家秘密{rng.randint(0, 2)}件。\n"
            "下一步,将进一步规范信息公开保密审查工作。")
    return Labelled("annual_report", text, "pass")


def _warning_case(rng: random.Random) -> Labelled:
    text = (f"国家安全机关公布一起案例:某研究所工作人员{rng.choice(SURNAMES)}某向境外人员提供{rng.randint(2, 6)}份绝密级资料,"
            "被依法判处有期徒刑。\n国家安全机关提示,发现可疑情况请拨打12339举报。")
    return Labelled("warning_case", text, "pass")


def _star_marking(rng: random.Random) -> Labelled:
    mark = rng.choice(["机密★10年", "秘密★5年", "绝密★启用前", "秘密★2030年12月31日"])
    rule = {"机密★10年": "marking.star_period", "秘密★5年": "marking.star_period",
            "绝密★启用前": "marking.star_condition", "秘密★2030年12月31日": "marking.star_date"}[mark]
    text = f"{rng.randint(1, 999):06d}\n{mark}\n特急\n{rng.choice(UNITS)}文件\n关于做好有关工作的通知\n" + rng.choice(PUBLIC_BODIES)
    return Labelled("star_marking", text, "block", ((rule, mark),))


def _contains_secret(rng: random.Random) -> Labelled:
    text = f"{rng.choice(UNITS)}关于某专项工作的报告\n本文件含国家秘密\n" + rng.choice(PUBLIC_BODIES)
    return Labelled("contains_secret", text, "block", (("marking.contains_secret", "本文件含国家秘密"),))


def _no_forward(rng: random.Random) -> Labelled:
    text = f"关于近期重点工作的情况通报\n{rng.choice(PUBLIC_BODIES)}\n本通报请勿外传。"
    return Labelled("no_forward", text, "block", (("internal.no_forward", "请勿外传"),))


def _resident_id(rng: random.Random) -> Labelled:
    number = resident_id(rng)
    text = f"补助发放名单\n领取人:{person(rng)},身份证号:{number},补助金额1200元。"
    return Labelled("resident_id", text, "block", (("pii.resident_id", number),))


def _cadre(rng: random.Random) -> Labelled:
    who, post = person(rng), rng.choice(POSTS)
    text = (f"党组会议记录\n会议酝酿了部分中层干部调整事项,初步意见{who}拟任{post},"
            f"另有两名同志作为考察对象,待征求意见后再议。")
    return Labelled("cadre", text, "review", (("context.cadre_deliberation", "酝酿"),))


def _petitioner(rng: random.Random) -> Labelled:
    phone = mobile(rng)
    text = (f"来访接待记录\n信访人:{person(rng)},住某区新华路{rng.randint(1, 99)}号,联系电话{phone},"
            "反映小区停车收费问题。处理意见:转街道办理。")
    return Labelled("petitioner", text, "review", (("context.petitioner_details", "信访人"), ("pii.mobile", phone)))


def _stability(rng: random.Random) -> Labelled:
    text = (f"节日期间矛盾纠纷排查情况\n辖区排查出不稳定因素{rng.randint(3, 9)}项,针对可能出现的群体性事件,"
            "街道已制定处置预案,落实包保干部,公安派出所同步部署警力。")
    return Labelled("stability", text, "review", (("context.stability_response", "群体性事件"),))


def _exam(rng: random.Random) -> Labelled:
    text = (f"{rng.choice(UNITS)}2027年业务考试试卷\n启用前\n一、单项选择题(每题2分)\n"
            "1.下列关于行政处罚的说法,正确的是……")
    return Labelled("exam", text, "review", (("context.exam_before_use", "试卷"),))


def _key_location(rng: random.Random) -> Labelled:
    room = f"{rng.randint(2, 6)}{rng.randint(0, 1)}{rng.randint(1, 9)}室"
    text = f"关于机要室搬迁的说明\n新的机要室位于综合楼{room},已安装门禁、监控和报警设备,下周启用。"
    return Labelled("key_location", text, "review", (("context.key_location", "机要室"),))


def _land_draft(rng: random.Random) -> Labelled:
    text = (f"某片区房屋征收补偿方案(送审稿)\n拟定住宅补偿标准为每平方米{rng.randint(18, 32)}00元,"
            "提前签约奖励每户3万元。")
    return Labelled("land_draft", text, "review", (("context.land_draft", "征收"),))


def _exam_notice(rng: random.Random) -> Labelled:
    """A public exam notice: a future date near 试卷 — a hard negative for the exam rule."""
    text = (f"{rng.choice(UNITS)}2027年公开招聘笔试公告\n笔试时间:2027年{rng.randint(1, 6)}月{rng.randint(1, 28)}日上午9:00。"
            "笔试试卷满分100分,考试大纲见附件。考生凭准考证和身份证入场。\n公开方式:主动公开")
    return Labelled("exam_notice", text, "pass")


def _inspection_news(rng: random.Random) -> Labelled:
    text = (f"{rng.choice(UNITS)}开展保密检查\n近日,局领导带队对机要室、档案室进行保密检查,"
            "查看了涉密载体登记、保密柜管理等情况,要求持续加强保密要害部门部位管理。")
    return Labelled("inspection_news", text, "pass")


FAMILIES: tuple[Callable[[random.Random], Labelled], ...] = (
    _article, _gongshi, _annual, _warning_case, _star_marking, _contains_secret, _no_forward,
    _resident_id, _cadre, _petitioner, _stability, _exam, _key_location, _land_draft,
    _exam_notice, _inspection_news,
)
