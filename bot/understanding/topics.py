"""What a message asks about or reports, beyond its intent: a medical question, a question about fees,
and the category of a special circumstance. Pure regular expressions over small tables.

A medical question names a treatment and something about its safety, effects or aftercare, and
asks ("is botox safe while breastfeeding?", "시술 후 사우나 가도 되나요?"). Reporting an illness or
an accident is a special circumstance instead; pregnancy, breastfeeding and pain alone are not
reports, they are what the question is about ("I'm pregnant, can I still have the procedure?").
"""

from __future__ import annotations

import re

from bot.understanding import yesno
from bot.understanding.text import normalize, strip_latin_marks

CATEGORIES = ("illness", "injury", "bereavement", "disaster_weather", "transport", "visa_entry", "other")

# fmt: off
_TREATMENT = re.compile(
    r"\b(?:botox|fillers?|hyaluronic|laser|surgery|surgeries|procedures?|treatments?|injections?|operation|"
    r"thread lift|facelift|nose job|rhinoplasty|lipo\w*|eyelid|implants?|peel|microneedling|prp|transplant|"
    r"tiem|nang mui|cat mi|hut mo|cang chi|phau thuat|tham my|dieu tri)\b|"
    r"ボトックス|ヒアルロン酸|フィラー|レーザー|手術|施術|注射|二重|埋没|切開|脂肪吸引|糸リフト|ピーリング|ダーマペン|整形|"
    r"治療|肉毒|玻尿酸|透明质酸|透明質酸|激光|雷射|镭射|手术|双眼皮|雙眼皮|隆鼻|吸脂|抽脂|线雕|線雕|埋线|水光针|水光針|"
    r"打针|打針|微整|医美|醫美|疗程|療程|治疗|보톡스|필러|레이저|수술|시술|주사|쌍꺼풀|쌍커풀|성형|지방흡입|리프팅|"
    r"โบท็อก|ฟิลเลอร์|เลเซอร์|ผ่าตัด|ศัลยกรรม|ฉีด|ตาสองชั้น|เสริมจมูก|ดูดไขมัน|ร้อยไหม|ทรีตเมนต์|ทำจมูก",
    re.ASCII,
)
_EFFECT = re.compile(
    r"\b(?:safe|safely|safety|side effects?|risks?|risky|dangerous|hurts?|painful|pain|swelling|swollen|swell|"
    r"bruis\w*|scar\w*|recovery|recover|downtime|heal\w*|numb\w*|anesthe\w*|anaesthe\w*|allerg\w*|infection|"
    r"breastfeed\w*|nursing|pregnan\w*|ibuprofen|aspirin|painkillers?|antibiotics?|medication|medicine|alcohol|"
    r"drink|drinking|exercise|work out|workout|gym|shower|bath|sauna|swim\w*|make-?up|glasses|contacts|smok\w*|"
    r"fly|sun|sunscreen|sunbath\w*|results? last|an toan|tac dung phu|bien chung|nguy hiem|gay te|gay me|di ung|co thai|mang thai|"
    r"cho con bu|tap the duc|tap gym|xong hoi|trang diem|deo kinh|hoi phuc|hut thuoc)\b|"
    r"安全|副作用|リスク|危険|ダウンタイム|腫れ|はれ|むくみ|内出血|痛い|痛み|傷跡|傷あと|麻酔|アレルギー|妊娠中|授乳|"
    r"日焼け|日光|紫外線|お酒|飲酒|運動|お風呂|入浴|シャワー|サウナ|化粧|メイク|洗顔|コンタクト|眼鏡|メガネ|薬|タバコ|喫煙|効果|"
    r"风险|風險|危险|危險|恢复|恢復|消肿|消腫|肿|腫|淤青|瘀青|疼|痛|疤|麻醉|过敏|過敏|孕期|怀孕|懷孕|哺乳|喂奶|餵奶|"
    r"喝酒|饮酒|飲酒|运动|洗澡|冲凉|沖涼|化妆|化妝|桑拿|戴眼镜|戴眼鏡|吃药|食藥|吸烟|吸煙|效果|维持|維持|"
    r"洗脸|洗臉|洗头|洗頭|晒太阳|曬太陽|晒|曬|游泳|泡澡|泡温泉|泡溫泉|健身|坐飞机|坐飛機|饮酒|飲酒|"
    r"안전|부작용|위험|다운타임|붓기|부기|멍|통증|아프|아파|흉터|마취|알레르기|임신|수유|(?<!수)술|음주|운동|사우나|샤워|"
    r"목욕|세안|화장|안경|렌즈|진통제|항생제|약을|약 ?먹|담배|흡연|효과|"
    r"ปลอดภัย|ผลข้างเคียง|อันตราย|บวม|ช้ำ|เจ็บ|ปวด|แผลเป็น|ยาชา|แพ้|ตั้งครรภ์|ท้องอยู่|ให้นม|เหล้า|แอลกอฮอล์|"
    r"ออกกำลัง|อาบน้ำ|ซาวน่า|แต่งหน้า|ใส่แว่น|กินยา|บุหรี่|พักฟื้น|แดด|ว่ายน้ำ|ล้างหน้า|ดื่ม|ขึ้นเครื่อง|"
    # Medication the customer takes ("on blood thinners, can I get botox?").
    r"blood thinners?|anticoagulants?|warfarin|抗凝|血液稀释|血液稀釋|服用|在吃|服薬|薬を飲|항응고|"
    r"\b(?:the pill|pills|supplements?|birth control)\b|ピル|サプリ|飲み薬|内服|避孕药|避孕藥|피임약|ยาคุม|thuoc tranh thai|"
    r"ยาละลายลิ่มเลือด|ยาต้าน|chống đông",
    re.ASCII,
)
_EFFECT_MARKED = re.compile(r"sưng|bầm|đau|sẹo|tắm|rượu|\bbia\b|thuốc")
# Words a medical question shares with a report of a special circumstance.
OVERLAP = re.compile(
    r"\b(?:pregnan\w*|breastfeed\w*|pain\w*|hurts?|co thai|mang thai|cho con bu)\b|妊娠|授乳|怀孕|懷孕|孕期|哺乳|"
    r"임신|수유|아프|아파|통증|ตั้งครรภ์|ท้องอยู่|ให้นม|เจ็บ|ปวด|痛|疼",
    re.ASCII,
)
# A health condition, a medication or a pregnancy the customer has: with a question whether the treatment
# is still fine ("我有甲亢，在吃药，做热玛吉会不会有影响？", "I have a thyroid condition, is that a problem for
# HIFU?"), it is a medical question whatever the condition's or the treatment's name.
_HEALTH = re.compile(
    r"\b(?:(?:i have|i've got|i got|i suffer from|suffering from|diagnosed with|my)\s+(?:an?\s+)?(?:\w+\s+){0,2}"
    r"(?:condition|disease|disorder|syndrome|problems?|issues?)|thyroid|hyperthyroid\w*|hypothyroid\w*|"
    r"graves|hashimoto\w*|diabet\w*|asthma\w*|epilep\w*|hypertension|high blood pressure|autoimmune|lupus|"
    r"keloid\w*|eczema|psoriasis|rosacea|cancer|chemo\w*|hepatitis|anemi\w*|anaemi\w*|pacemaker|"
    r"(?:on|taking|take|i take)\s+(?:\w+\s+){0,2}(?:medication|meds|medicine|pills|tablets|drugs|insulin|"
    r"steroids?|accutane|isotretinoin|retinoids?|antidepressants?|hormones?|thinners?)|medications?|meds|"
    r"pregnan\w*|breastfeed\w*|nursing|"
    r"benh|hoi chung|cuong giap|suy giap|tuyen giap|tieu duong|huyet ap|tim mach|hen suyen|dong kinh|"
    r"ung thu|seo loi|uong thuoc|dung thuoc|co thai|mang thai|cho con bu)\b|"
    r"持病|甲状腺|バセドウ|橋本病|糖尿病|高血圧|喘息|てんかん|心臓病|膠原病|ケロイド|アトピー|抗がん剤|服薬|"
    r"薬を飲んで|を飲んでい|飲んでる|飲んでます|服用|通院中|治療中|妊娠|授乳|ピル|"
    r"我有\S{0,4}?(?:病|症|炎|亢|癌|瘤)|甲亢|甲减|甲減|甲状腺|甲狀腺|高血压|高血壓|哮喘|癫痫|癲癇|心脏病|心臟病|"
    r"红斑狼疮|紅斑狼瘡|疤痕体质|疤痕體質|在吃药|在吃藥|在服药|在服藥|吃着药|吃著藥|长期吃|長期食|食緊藥|"
    r"怀孕|懷孕|孕期|哺乳|"
    r"지병|갑상선|당뇨|고혈압|천식|뇌전증|심장병|자가면역|켈로이드|아토피|복용|약을 먹고|약 먹고|먹고 있는 약|임신|수유|"
    r"โรคประจำตัว|ไทรอยด์|เบาหวาน|ความดันสูง|ความดันโลหิตสูง|หอบหืด|ลมชัก|โรคหัวใจ|คีลอยด์|กินยา|ทานยา|"
    r"ตั้งครรภ์|ให้นม",
    re.ASCII,
)
# Whether something still is all right, or what it does ("会不会有影响", "受けても大丈夫", "받아도 되나요").
_STILL_FINE = re.compile(
    r"\b(?:affect\w*|interfere\w*|interact\w*|a problem|an issue|ok to|okay to|ok for|okay for|safe|"
    r"still (?:have|get|do|go)|allowed to|can i (?:still )?(?:have|get|do)|is it (?:ok|okay|fine|safe)|"
    r"anh huong|co sao khong|lam duoc khong|duoc khong|co van de|an toan|co nen)\b|"
    r"\b(?:should i (?:stop|keep|continue|quit)|do i (?:need|have) to stop)\b|"
    r"影響|受けられ|受けても|大丈夫|問題ない|問題あり|差し支え|できますか|可能ですか|(?:ほう|方)がいい|べき|"
    r"影响|有没有关系|有沒有關係|要不要紧|要不要緊|要唔要緊|能不能做|可以做|能做|可不可以|可唔可以|行不行|适合|適合|"
    r"会不会|會不會|"
    r"영향|받아도|받을 수|해도 되|해도 괜찮|괜찮을까|괜찮나요|괜찮은가요|가능한가요|가능할까요|문제 없|상관없|"
    r"มีผล|ส่งผล|ทำได้ไหม|ได้ไหม|ได้มั้ย|เป็นอะไรไหม|ปลอดภัย|มีปัญหาไหม",
    re.ASCII,
)
_QUESTION_START = re.compile(
    r"^(?:is|are|can|could|may|should|will|would|do|does|did|how|what|when|where|why|who|which|any)\b|"
    r"\b(?:bao lau|co duoc|duoc khong)\b|多久|幾耐|几时|幾時|얼마나|กี่วัน|นานไหม",
    re.ASCII,
)
_FEE = re.compile(
    r"\b(?:fees?|charged?|charges|charging|penalty|penalties|cost|costs|price|pay|paying|refund\w*|"
    r"free of charge|how much|deposit|money|surcharge|phi|mat phi|tinh phi|tinh tien|mat tien|bao nhieu tien|"
    r"tien phat|mien phi|den bu|hoan tien|tien coc|tra tien|"
    # How much of it: "why the full amount?", "is there a discount?", "toàn bộ phí", "mất hết".
    r"full amount|full fee|full price|whole amount|whole fee|discounts?|waive\w*|percent|"
    r"toan bo phi|toan bo so tien|toan bo tien|mat het|mat toan bo|giam phi|mot nua|phan tram|hoan lai)\b|"
    r"\d+\s*%|全額|半額|割引|免除|全额|全数|全數|一半|折扣|减免|減免|退一部分|退返|전액|반액|할인|면제|"
    r"เต็มจำนวน|ครึ่งหนึ่ง|ส่วนลด|ยกเว้นค่า|คืนบางส่วน|"
    r"料金|キャンセル料|手数料|費用|違約金|お金|いくら|有料|無料|払|返金|請求|"
    r"收费|收費|费用|手续费|手續費|违约金|違約金|扣钱|扣錢|要钱|要錢|多少钱|多少錢|罚款|罰款|俾錢|畀錢|俾钱|收唔收|"
    r"免费|免費|扣多少|付钱|付錢|退款|退钱|退錢|錢|钱|"
    r"수수료|위약금|비용|요금|돈|얼마|유료|무료|환불|벌금|"
    r"ค่าธรรมเนียม|ค่าปรับ|เสียเงิน|ค่าใช้จ่าย|เท่าไหร่|เท่าไร|เสียค่า|ฟรี|เก็บเงิน|คืนเงิน|จ่าย|ราคา",
    re.ASCII,
)

_CATEGORY_RX: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("visa_entry", re.compile(
        r"\b(?:visas?|entry|immigration|deport\w*|border|passport|thi thuc|nhap canh|ho chieu|xuat nhap canh)\b|"
        r"ビザ|査証|入国|入管|パスポート|签证|簽證|入境|海关|海關|拒签|拒簽|护照|護照|移民局|비자|입국|출입국|여권|"
        r"วีซ่า|ตม\.|เข้าเมือง|เข้าประเทศ|พาสปอร์ต|หนังสือเดินทาง", re.ASCII)),
    ("bereavement", re.compile(
        r"\b(?:passed away|died|death|funeral|bereave\w*|mourning|qua doi|dam tang|tang le|tu tran)\b|"
        r"\b(?:bo|me|cha|ong|ba|chong|vo|con|ong ngoai|ba ngoai|ong noi|ba noi) (?:em |toi |minh |anh |chi )?"
        r"(?:da |vua |bi )?mat\b(?! (?:phi|tien|\d))|"
        r"亡くな|葬儀|葬式|忌引|通夜|死去|他界|去世|过世|過世|过身|過身|葬礼|葬禮|丧事|喪事|離世|离世|"
        r"돌아가|장례|별세|사망|상을 당|เสียชีวิต|งานศพ|ถึงแก่กรรม|"
        r"(?:พ่อ|แม่|ยาย|ย่า|ตา|ปู่|สามี|ภรรยา|ลูก|พี่|น้อง)\S{0,6}เสีย(?!เงิน|ค่า|ใจ|หาย|งาน)", re.ASCII)),
    ("injury", re.compile(
        r"\b(?:injur\w*|hurt (?:my|myself|his|her)|broke (?:my|his|her|a|their|our)|broken|fractur\w*|sprain\w*|"
        r"twisted|accident|fell (?:down|over|off)|"
        r"bi thuong|tai nan|gay chan|gay tay|gay xuong|nga|te nga|bong gan)\b|"
        r"怪我|けが|ケガ|骨折|捻挫|(?<!人身)事故|転ん|落ち|やけど|火傷|ぎっくり腰|受伤|受傷|摔|扭伤|扭傷|车祸|車禍|"
        r"撞车|撞車|燙傷|烫伤|다쳤|다치|부상|골절|사고|삐었|넘어|화상|บาดเจ็บ|อุบัติเหตุ|กระดูกหัก|ขาหัก|แขนหัก|"
        r"หกล้ม|แพลง|รถชน|gãy|ngã", re.ASCII)),
    ("illness", re.compile(
        r"\b(?:sick|ill|illness|unwell|fever|flu|cold|covid|corona|hospital\w*|vomit\w*|threw up|food poisoning|"
        r"burning up|high temperature|icu|intensive care|stroke|heart attack|"
        r"migraine|pneumonia|infection|diarrh\w*|stomach|not feeling well|tested positive|pregnan\w*|"
        r"benh|om|sot|cam cum|nhap vien|ngo doc|dau bung|khong khoe)\b|"
        r"病気|体調|具合|熱|発熱|風邪|かぜ|インフル|コロナ|入院|吐き|嘔吐|腹痛|下痢|食中毒|病院|肺炎|陽性|妊娠|"
        r"生病|病了|病咗|不舒服|唔舒服|[发發][高緊紧]?[烧燒]|高[烧燒]|[烧燒]到\d|\d+(?:\.\d)?\s*度|[发發]热|[发發]熱|感冒|流感|新冠|阳了|陽了|住院|急诊|急診|肚子痛|肚痛|拉肚子|"
        r"食物中毒|呕吐|嘔吐|病危|病重|医院|醫院|怀孕|懷孕|아파|아프|몸이|몸살|입원|열이|열나|고열|감기|독감|코로나|"
        r"식중독|장염|병원|폐렴|임신|ป่วย|ไม่สบาย|ไข้|โควิด|หวัด(?!ดี)|โรงพยาบาล|ปวดท้อง|ท้องเสีย|อาหารเป็นพิษ|อาเจียน|"
        r"แอดมิท|ตั้งครรภ์|ไอซียู|เส้นเลือดในสมอง|bệnh|ốm|sốt|cảm|cúm", re.ASCII)),
    ("disaster_weather", re.compile(
        r"\b(?:typhoon|hurricane|earthquake|tsunami|flood\w*|storm\w*|snowstorm|blizzard|heavy (?:rain|snow)|"
        r"disaster|volcan\w*|eruption|wildfire|fire|weather|dong dat|song than|thien tai|lu lut|ngap|mua lon|"
        r"tuyet|chay)\b|"
        r"台風|地震|津波|洪水|大雨|大雪|豪雨|災害|噴火|火事|火災|天候|嵐|台风|颱風|海啸|海嘯|水灾|水災|暴雨|暴雪|"
        r"灾害|天灾|天災|火灾|天气|天氣|打風|黑雨|태풍|지진|쓰나미|홍수|폭우|폭설|재난|재해|화재|날씨|산불|"
        r"พายุ|ไต้ฝุ่น|แผ่นดินไหว|น้ำท่วม|ภัยพิบัติ|ไฟไหม้|หิมะ|ฝนตกหนัก|bão|lũ|lụt", re.ASCII)),
    ("transport", re.compile(
        r"\b(?:flights?|plane|airline|airport|trains?|shinkansen|bus|ferry|strike|delayed|grounded|"
        r"chuyen bay|may bay|san bay|dinh cong)\b|"
        r"欠航|運休|飛行機|フライト|便|電車|新幹線|空港|ストライキ|遅延|乗り遅れ|人身事故|航班|飞机|飛機|班机|班機|停飞|"
        r"停飛|火车|火車|高铁|高鐵|地铁|捷運|机场|機場|罢工|罷工|延误|延誤|비행기|항공편|결항|기차|열차|공항|파업|"
        r"비행편|เที่ยวบิน|ไฟลท์|ไฟลต์|เครื่องบิน|รถไฟ|สนามบิน|ดีเลย์|ประท้วง|tàu|hoãn", re.ASCII)),
)
# fmt: on


def _texts(text: str) -> tuple[str, str]:
    t = normalize(text)
    return t, strip_latin_marks(t)


def _asks(t: str, plain: str) -> bool:
    return yesno.is_question(t) or bool(_QUESTION_START.search(plain))


def medical_question(text: str) -> bool:
    """A question about a treatment's safety, effects or aftercare ("is botox safe while breastfeeding?")."""
    return is_medical(*_texts(text))


def is_medical(t: str, plain: str) -> bool:
    if not _asks(t, plain):
        return False
    effect = _EFFECT.search(plain) or _EFFECT_MARKED.search(t)
    if effect and _TREATMENT.search(plain):
        return True
    # A condition, a medication or a pregnancy, and whether the treatment is still fine: the names of
    # conditions and treatments are open-ended, the way the question is asked is not.
    return bool(_HEALTH.search(plain) and (_STILL_FINE.search(plain) or _TREATMENT.search(plain)))


def asks_about_fee(text: str) -> bool:
    """A question about fees or charges ("how much is the fee?", "キャンセル料はいくら?", "có mất phí không")."""
    return is_fee_question(*_texts(text))


def is_fee_question(t: str, plain: str) -> bool:
    return bool(_FEE.search(plain) and _asks(t, plain))


def question_about(text: str) -> str:
    """What a question is about: "fee", "medical" or "other"."""
    t, plain = _texts(text)
    if is_fee_question(t, plain):
        return "fee"
    if is_medical(t, plain):
        return "medical"
    return "other"


def circumstance_category(text: str) -> str:
    """The cause of a special circumstance: illness, injury, bereavement, disaster_weather, transport,
    visa_entry or other. The first category in that order (visa first) whose words the text has."""
    return category(*_texts(text))


def category(t: str, plain: str) -> str:
    for name, rx in _CATEGORY_RX:
        if rx.search(plain) or rx.search(t):
            return name
    return "other"
