"""The cue tables: what in a message points at each intent, in the seven languages.

Each cue is a regular expression over the normalized text with Latin tone marks removed (so
"hủy" and "huy" both match `huy`), and a weight: 2 for a clear cue, 1 for a hint that only counts
when nothing clearer is there, 3 for an explicit request to talk to a person (it outranks the
topic the customer mentions) and for a cancelled flight (whose "cancel" is not the customer's).
`MARKED` cues are matched on the text with its marks, where removing them would be ambiguous
(Vietnamese muộn "late" vs muốn "want").
"""

from __future__ import annotations

Cue = tuple[str, int]

CANCEL: list[Cue] = [
    (r"\b(?:can[cs]e?l+e?|cancle|canel|cancl|cxl)\w*", 2),
    (r"\bcall(?:ing)? (?:it |this |the appointment )?off\b", 2),
    (
        r"\b(?:can'?t|cannot|can not|won'?t be able to|unable to|not able to) (?:make it|come|go|attend|be there)\b",
        1,
    ),
    (r"\bwon'?t be (?:coming|attending)\b|\bnot (?:coming|going) (?:anymore|any more)\b", 1),
    (r"\b(?:no longer need|don'?t need (?:it|the appointment|the interpreter) anymore)\b", 2),
    (
        r"キャンセル|きゃんせる|取り?消|取りやめ|とりやめ|中止|やめ(?:たい|ます|にし|させ|る)|止め(?:たい|ます)",
        2,
    ),
    (r"(?:予約|それ)?(?:は|を)?なしに(?:して|でき|したい|させ)|なしでお願い", 2),
    (r"行けなく|行けません|いけなく|いけません|伺えな|伺えません|来院できな|行けない|参加できな", 1),
    (r"取消|撤销|撤銷|退订|退訂|不去了|不做了|不用了|作废|作廢|不要了", 2),
    (r"去不了|来不了|來不了|不能去|没办法去|沒辦法去|无法前往|無法前往|去不成", 1),
    (r"취소|취솨|취쇼|캔슬|안 하려고|안하려고", 2),
    (r"못 ?가|못 ?갈|못 ?와|못 ?올|안 ?갈|불참|참석 ?못|참석이 어려", 1),
    (r"ยกเลิก|แคนเซิล|แคนเซิ้ล|ยกเลิ", 2),
    (r"ไปไม่ได้|ไม่ได้ไป|ไม่สามารถไป|มาไม่ได้|ไม่ไปแล้ว|ไปไม่ไหว", 1),
    (r"\bhuy\b", 2),
    (
        r"\b(?:khong|ko|k|hok|hong) (?:the )?(?:di|den|toi) (?:duoc|dc)\b|\bkhong di nua\b|\bthoi khong di\b",
        1,
    ),
    (r"なかったことに|取り下げ|見送|辞退|断念|不要になり|いらなくな|必要なくな|やっぱりやめ", 2),
    (
        r"\bdrop (?:my|the|our) (?:appointment|booking|reservation|consultation)\b|\b(?:won'?t|will not|no longer|don'?t|do not) need (?:the |an |my )?(?:interpreter|appointment|booking|it|service)\b",
        2,
    ),
    (r"退掉|退了|不需要了|不用预约|不用預約|不做(?:手术|手術)|不(?:预约|預約)了", 2),
    (
        r"없던 ?걸로|없었던 ?걸로|(?:^|그냥 |예약 |수술 |시술 |이번엔 |이번에는 )안 ?할게|안 ?갈게|안 ?가요|안 ?받기로",
        2,
    ),
    (r"\b(?:khong|ko|k) can (?:.{0,25} )?nua\b|\bthoi khong\b", 2),
    (r"ไม่ไป(?!ไหน)", 1),
    # Written Cantonese: "can't come", "not going any more".
    (r"嚟唔到|去唔到|唔去喇|唔去啦|唔去了|唔嚟喇|唔做喇|唔要喇|唔使喇", 1),
]

CHANGE: list[Cue] = [
    (
        r"\bre-?sc?hedu?le?\w*|\bresch\w*|\brebook\w*|\bpostpone\w*|\bpush (?:it|my appointment|the appointment)"
        r"(?: back)?\b|\bbring (?:it )?forward\b|\bmove (?:it|my|the|our)\b",
        2,
    ),
    (r"\b(?:change|chang|chnage|move|shift|switch|swap)\w*\b", 1),
    (r"\b(?:another|different|other|new|later|earlier|next available) (?:day|date|time|slot)s?\b", 2),
    (r"\bchange (?:my |the |our )?(?:appointment|booking|reservation|date|day|time|slot)\b", 2),
    (r"\binstead\b", 1),
    (
        r"変更|へんこう|振替|振り替|延期|別の日|他の日|ほかの日|べつの日|別日|ずらし|ずらせ|ずらす|リスケ|繰り上げ|"
        r"繰り下げ|後ろ倒し|前倒し|変え|かえたい|かえて|日程を?調整|日にちを?変|予約を?移|"
        r"(?:曜日?|日|時|週|月)に(?:でき|して(?:もら|いただ|ほし|くだ)|したい|変)",
        2,
    ),
    (
        r"改期|改约|改約|改时间|改時間|改(?:个|個|一下)(?:时间|時間|日子|日期)|换(?:个)?(?:时间|日子)|換(?:個)?(?:時間|日子)|改天|改到|改成|改一下|改日|更改|变更|變更|延期|推迟|推遲|往后推|往後推|挪到|"
        r"换(?:个|一个|到)?(?:时间|日期|天|日子)|換(?:個|一個|到)?(?:時間|日期|天|日子)|重新预约|重新預約|"
        r"其他时间|其他時間|别的日子|別的日子|另一天|另外一天|换到|換到|调到|調到|提早|提前到|延后|延後|往后|往後",
        2,
    ),
    (r"调整|調整|提前", 1),
    (
        r"변경|바꾸|바꿀|바꿔|바뀌|늦추|늦춰|늦출|늦춘|미루|미뤄|미룰|연기|다른 ?날|다른 ?시간|옮기|옮겨|옮길|일정 ?조정|당기|당겨|앞당",
        2,
    ),
    (r"조정", 1),
    (r"เลื่อน|เปลี่ยนวัน|เปลี่ยนเวลา|เปลี่ยนนัด|วันอื่น|เวลาอื่น|ย้ายวัน|ย้ายนัด|ขอเปลี่ยน", 2),
    (r"เปลี่ยน|ย้าย", 1),
    (
        r"\bdoi (?:lich|ngay|gio|sang|qua|hen|thoi gian|buoi|lai)\b|\bthay doi\b|\blui (?:lich|ngay|lai|sang|qua)\b|"
        r"\bchuyen (?:sang|qua|lich|ngay)\b|\b(?:ngay|hom|buoi|gio) khac\b|\bsap xep lai\b|\bdat lai\b",
        2,
    ),
    (r"早め(?:る|たい|て|られ|に)|遅らせ|移し|移せ|移動|別日程|日時を?変|前にずら|後ろに", 2),
    (r"改早|改晚|延到|延至|换个日子|換個日子|换一天|換一天|改约|改約|另约|另約", 2),
    (r"不方便|原本的时间|原本的時間", 1),
    (r"改(?:去|做|到)|轉(?:去|做)|第二日|第日|改時間|改时间", 2),
    # "我想改療程的日期", "想改13號嘅諮詢": 改 with what is moved (not 修改/更改 of a name: privacy).
    (
        r"(?<![修更])改(?:一下|下|咗)?(?:我|我的|我嘅|我啲)?.{0,4}?(?:預約|预约|療程|疗程|治療|治疗|諮詢|咨询|咨詢|"
        r"手術|手术|日期|日子|\d{1,2}\s*(?:號|号|日))",
        2,
    ),
    (r"(?:요일|일|시|주|달|월)로 ?(?:가능|변경|바꿔|옮겨|해 ?주|할 ?수|될까|돼요|되나)", 2),
    (r"นัดใหม่|จองใหม่|เปลี่ยนเป็น", 2),
    (r"\bhen lai\b|\bxep lai\b|\bdoi sang\b|\bdoi qua\b", 2),
    (r"\bswitch (?:my|the|it)\b|\bmove(?:d)? (?:to|it|my)\b", 2),
    (r"แทน", 1),
]

LATE: list[Cue] = [
    (
        r"\blate\b|\blat\b(?= (?:by|for|\d))|\bl8\b|\brunn?ing (?:a bit |a little |abit )?(?:late|behind)\b|"
        r"\bbehind schedule\b",
        2,
    ),
    (
        r"\b(?:won'?t|will not|can'?t|cannot|not going to|not gonna|wont) (?:make it |be |get there |arrive )?"
        r"(?:there )?on time\b|\bbe there in\b|\bget there in\b|\barrive in\b|\bstuck in traffic\b|"
        r"\bmissed (?:the|my) (?:train|bus|shinkansen)\b|\bdelayed by\b",
        2,
    ),
    (r"\bdelay(?:ed)?\b|\bon (?:my|the) way\b|\btraffic\b|\b(?:a bit|a little) behind\b", 1),
    (r"遅れ|おくれ|遅刻|ちこく|遅く(?:なり|なる|なっ|なりそう)|間に合わ|まにあわ|到着が遅|着くのが遅", 2),
    (r"渋滞|電車が(?:遅|止)|向かって|向かいます|分後に着|分ほどで着", 1),
    (
        r"迟到|遲到|晚到|晚点到|晚點到|晚些到|晚一?点儿?到|晚一?點到|(?<![今昨明傍])晚(?:个|個)?\s*[\d一二两兩三四五六七八九十半几幾]|"
        r"赶不上|趕不上|来不及|來不及|迟一点|遲一點|晚一点|晚一點|会晚|會晚|要晚|晚了|"
        # "沒辦法準時上線": cannot be on time (not a cancellation's 沒辦法去).
        r"(?:没办法|沒辦法|不能|没法|沒法|無法|无法|唔能夠|唔可以)(?:准时|準時|按时|按時|準點|准点)",
        2,
    ),
    (r"堵车|塞车|塞車|延误|延誤|在路上|马上到|馬上到", 1),
    (r"늦(?!추|춰|출|춘)|지각|도착이 ?지연", 2),
    (r"지연|차가 ?막|길이 ?막|막혀|가는 ?중|가고 ?있", 1),
    (
        r"ไปสาย|มาสาย|ถึงสาย|จะสาย|สายนิด|สายหน่อย|สายประมาณ|สาย\s*\d|สายสัก|สายไป|ไปช้า|ถึงช้า|มาช้า|"
        r"ไปไม่ทัน|ไม่ทัน|ไปถึง.{0,6}ช้า|ช้ากว่า|ช้าไป|เข้า.{0,12}ช้า|ช้า(?:สัก|ประมาณ|ราว)?\s*\d+\s*นาที",
        2,
    ),
    (r"รถติด|ติดอยู่|กำลังไป|กำลังเดินทาง", 1),
    (
        r"\bket xe\b|\btac duong\b|\bden muon\b|\bbi muon\b|\bhoi muon\b|\bkhong kip\b|"
        r"\b(?:ko|k|hok) kip\b|\bcham (?:chut|\d)|\bden cham\b",
        2,
    ),
    (r"\bdang (?:den|toi|tren duong|di)\b", 1),
    (
        r"\b(?:be|get|arrive|arriving|there|here) in (?:\d+|a few|five|ten|fifteen|twenty|thirty)\b|\b\d+ ?(?:min|mins|minutes) (?:away|out)\b|\b(?:minutes?|mins?) behind\b",
        2,
    ),
    (
        r"あと\s*(?:\d+|[一二三四五六七八九十]+)\s*(?:分|ふん|ぷん)|(?:分|ふん|ぷん)(?:後|ご)?(?:に|で|くらいで|ほどで)?(?:着|到着|つき)",
        2,
    ),
    (
        r"(?:再|还有|還有|还要|還要)\s*(?:\d+|[一二两兩三四五六七八九十几幾]+)\s*(?:分钟|分鐘)|(?:分钟|分鐘)(?:后|後|左右)?(?:就)?到",
        2,
    ),
    (r"\d+\s*분\s*(?:후|뒤|안에|내로|이면|정도면|쯤)?\s*도착", 2),
    (r"기다려 ?주", 1),
    (r"อีก\s*\S{0,8}นาที|นาทีถึง|สายแน่", 2),
    (r"ดีเลย์|เลท", 1),
    (r"\b(?:\d+|mot|hai|ba|nam|muoi|muoi lam)\s*(?:phut|p)\s*nua\b", 2),
    # Written Cantonese: 遲 "late", 晏 "late (in the day)".
    (r"遲(?:咗|啲|少少|到|大約|大概|\s*\d|[一二兩三四五六七八九十半])|晏(?:啲|少少)?到|會遲|会迟", 2),
]
LATE_MARKED: list[Cue] = [(r"muộn|trễ", 2)]

SPECIAL: list[Cue] = [
    (
        r"\b(?:(?:am|i'm|im|feel|feeling|felt|got|fell|been|very|really|so|is|was|became|seriously) ill|"
        r"sick|illness|unwell|fever|flu|covid|corona|hospitali[sz]ed|hospitalised|"
        r"injur(?:y|ed|ies)|hurt (?:my|myself)|broke (?:my|a)|broken (?:leg|arm|ankle|wrist|foot)|"
        r"food poisoning|vomit\w*|threw up|throwing up|migraine|typhoon|earthquake|tsunami|disaster|"
        r"flood\w*|hurricane|blizzard|snowstorm|strike|funeral|passed away|pregnan\w*|"
        r"emergency room|ambulance|surgery went wrong|tested positive)\b",
        2,
    ),
    (
        r"\b(?:father|mother|dad|mom|mum|grand\w+|relative|husband|wife|brother|sister|uncle|aunt|son|daughter)"
        r"\b.{0,20}\b(?:died|passed)\b|\b(?:in|to|at|from) (?:the )?(?:hospital|er)\b(?! appointment)|\bfamily emergency\b|\bemergency\b|"
        # "I feel terrible because everyone has been so helpful" is guilt, not illness.
        r"\baccident\b|\bnot feeling (?:well|good)\b|\bfeel(?:ing)? (?:sick|unwell)\b|"
        # Said without the word "sick": a child burning up, nobody else to look after them.
        r"\bburning up\b|\bicu\b|\bintensive care\b|\bstroke\b|\bheart attack\b|\brunning a (?:fever|temperature)\b|\bhigh temperature\b|"
        r"\b(?:no one|nobody)(?: else)? (?:to|who can|that can|can) (?:look after|take care of|watch|care for)\b|"
        r"\b(?:can'?t|cannot|couldn'?t) (?:leave|leaving) (?:her|him|them|my (?:kids?|son|daughter|mother|father))\b|"
        r"\bfeel(?:ing)? (?:terrible|awful)\b(?! (?:about|because|that|for|to|asking|bothering))",
        2,
    ),
    (
        r"\b(?:flight|flights|plane)\b[^,.;!?]{0,25}\b(?:cancel\w*|grounded|suspended)\b|"
        r"\bcancel\w* (?:my |the |our )?(?:flight|flights)\b|\btrains? (?:are |were |is )?(?:suspended|stopped)\b",
        3,
    ),
    (
        r"病気|体調|具合が悪|熱|発熱|風邪|かぜ|インフル|コロナ|入院|救急|病院に運|怪我|けが|ケガ|骨折|事故|台風|"
        r"地震|災害|大雨|大雪|豪雨|津波|ストライキ|欠航|運休|亡くな|葬儀|葬式|忌引|妊娠|吐き気|嘔吐|腹痛|"
        r"食中毒|ぎっくり腰|倒れ",
        2,
    ),
    (r"(?:飛行機|フライト|便).{0,8}(?:キャンセル|欠航|飛ば|取り?消|運航中止)", 3),
    (
        r"生病|病了|身体不舒服|身體不舒服|不舒服|发烧|發燒|发高烧|發高燒|感冒|流感|新冠|阳了|陽了|住院|急诊|急診|"
        r"受伤|受傷|骨折|车祸|車禍|台风|颱風|台風|地震|灾害|災害|天灾|天災|暴雨|暴雪|罢工|罷工|停飞|停飛|"
        r"去世|过世|過世|葬礼|葬禮|怀孕|懷孕|拉肚子|食物中毒|呕吐|嘔吐|出事|意外",
        2,
    ),
    (r"(?:航班|飞机|飛機|班机|班機).{0,6}(?:取消|停|延误|延誤)", 3),
    (
        r"아파|아프|아팠|몸이 ?안 ?좋|몸이 ?좋지|몸살|입원|열이|열나|고열|감기|독감|코로나|다쳤|다치|부상|골절|"
        r"사고(?:가|로|를|났|나서| 났| 나서)|교통사고|돌아가셔|태풍|지진|재난|재해|폭설|폭우|파업|결항|돌아가셨|장례|임신|응급실|구급차|식중독|장염",
        2,
    ),
    (r"(?:비행기|항공편|항공기|비행편).{0,8}(?:취소|결항|운항 ?중단)", 3),
    (
        r"ป่วย|ไม่สบาย|มีไข้|เป็นไข้|ไข้ขึ้น|ไข้|โควิด|หวัด(?!ดี)|แอดมิท|นอนโรงพยาบาล|เข้าโรงพยาบาล|อยู่โรงพยาบาล|"
        r"ส่งโรงพยาบาล|ไอซียู|เส้นเลือดในสมอง|ไม่มีใครดูแล|ห้องฉุกเฉิน|"
        r"บาดเจ็บ|อุบัติเหตุ|กระดูกหัก|ขาหัก|แขนหัก|พายุ|ไต้ฝุ่น|แผ่นดินไหว|น้ำท่วม|ภัยพิบัติ|หยุดงานประท้วง|"
        r"นัดหยุดงาน|ปวดท้อง|ปวดหัว|ปวดมาก|เสียชีวิต|งานศพ|ตั้งครรภ์|ท้องเสีย|อาหารเป็นพิษ|อาเจียน|ห้องฉุกเฉิน|รถชน",
        2,
    ),
    (r"(?:เที่ยวบิน|ไฟลท์|ไฟลต์|เครื่องบิน).{0,10}(?:ยกเลิก|แคนเซิล|ดีเลย์|งด)|ยกเลิกเที่ยวบิน|ยกเลิกไฟล", 3),
    (
        r"\bbenh\b(?! vien)|\bbi sot\b|\bsot cao\b|\bcam cum\b|\bcum\b|\bcovid\b|"
        r"\bnhap vien\b|\bcap cuu\b|\bbi thuong\b|\btai nan\b|\bgay (?:chan|tay|xuong)\b|\bdong dat\b|"
        r"\bthien tai\b|\blu lut\b|\bngap\b|\bdinh cong\b|\bqua doi\b|\bdam tang\b|\bco thai\b|"
        r"\bmang thai\b|\bkhong khoe\b|\bko khoe\b|\bnon mua\b|\bngo doc\b|\bdau bung\b",
        2,
    ),
    # "chuyen bay Ha Noi - Tokyo toi nay cua minh bi huy": the route and the day sit in between.
    (
        # Within one clause: "my flight is fine, I just want to cancel" is a cancellation.
        r"\b(?:chuyen bay|may bay)\b[^,.;!?]{0,40}\b(?:bi huy|bi hoan|bi delay|delay)\b|"
        r"\bflight\b[^,.;!?]{0,20}\b(?:huy|hoan|delay|cancel\w*)\b|\bhuy chuyen bay\b",
        3,
    ),
    (r"\b(?:bao tuyet|sieu bao|bao lon|bao so \d+|tuyet roi day)\b", 2),
    (r"病危|病重|重病|病倒|急病|摔伤|摔傷|摔倒|扭伤|扭傷|伤到|傷到|受了伤|受了傷", 2),
    (
        r"\b(?:bo|me|cha|ong|ba|chong|vo|con) (?:em |toi |minh |anh |chi )?(?:da |vua |bi )?mat\b(?! (?:phi|tien|\d))",
        2,
    ),
    (r"\bsan bay (?:dong cua|dong)\b", 2),
    (r"火災|火事|火灾|화재|ไฟไหม้|\bchay nha\b|\b(?:house|building) fire\b|\bfire at\b", 2),
    (r"쓰러|昏倒|晕倒|暈倒|เป็นลม|หมดสติ|\bngat\b|\bcollapsed\b|\bfainted\b", 2),
]
# Visa or entry refused: the customer cannot come, a person must look at it (RULES.md: special circumstances).
SPECIAL.extend(
    [
        (
            r"\bvisas?\b.{0,30}\b(?:refused|rejected|denied|declined|not (?:been )?(?:approved|granted|issued)|"
            r"(?:didn'?t|did not|hasn'?t|has not|won'?t) (?:come through|arrive|get approved|be ready|be issued))|"
            r"\b(?:denied|refused) (?:entry|a visa|my visa|boarding)\b|\bentry (?:was |got )?(?:refused|denied)\b|"
            r"\bdeport\w*|\bturned (?:me )?away at (?:immigration|the border|the airport)\b|"
            r"\b(?:visa|thi thuc)\b.{0,20}\b(?:bi tu choi|truot|rot|khong duoc cap|chua duoc cap|bi danh rot)\b|"
            r"\b(?:tu choi|truot|rot) (?:visa|thi thuc|nhap canh)\b|\b(?:khong|ko) (?:duoc )?nhap canh\b",
            3,
        ),
        (
            r"(?:ビザ|査証).{0,10}(?:下りな|おりな|下りませ|取れな|とれな|取れませ|とれませ|拒否|却下|発給されな|出な|間に合わ|もらえな)|"
            r"入国.{0,8}(?:拒否|できな|でき(?:ませ|ず)|断ら|拒ま)|入国審査.{0,8}(?:止め|拒|断|引っかか)|"
            r"(?:日本|国内)に入れ(?:な|ませ|ず)|"
            r"(?:签证|簽證).{0,8}(?:被拒|拒|没批|沒批|批不|批唔|下不来|不下来|没下来|沒下來|没过|沒過|未批|唔批|出不来)|"
            r"拒签|拒簽|(?:入境|入关|入關).{0,6}(?:被拒|拒绝|拒絕|不了|唔到|唔俾|唔畀|不让|不讓|不给|不給)|(?:唔俾|唔畀|不让|不讓|不给|不給)我入境|被遣返|"
            r"비자.{0,8}(?:거절|거부|안 ?나|못 ?받|반려|불허|발급이 ?안)|입국.{0,6}(?:거부|거절|불허|금지|못 ?했|이 ?안)|추방|"
            r"วีซ่า.{0,8}(?:ไม่ผ่าน|ถูกปฏิเสธ|ไม่อนุมัติ|ไม่ได้|ไม่ออก|โดนปฏิเสธ)|ปฏิเสธการเข้า|เข้าประเทศไม่ได้|"
            r"ตม\..{0,10}(?:ไม่ให้|ปฏิเสธ)",
            3,
        ),
        (
            r"\b(?:broke|fractured|sprained|injured|hurt) (?:his|her|their|our)\b|"
            r"(?:พ่อ|แม่|ยาย|ย่า|ตา|ปู่|สามี|ภรรยา|ลูก|พี่|น้อง)\S{0,6}เสีย(?!เงิน|ค่า|ใจ|หาย|งาน|เวลา|สละ)",
            2,
        ),
        # Written Cantonese: ill, passed away, in hospital.
        (r"病咗|發緊燒|发紧烧|唔舒服|入咗院|過咗身|過身|过身|整親|跌親|撞親", 2),
        # A passport lost or stolen, boarding refused, a flight missed: the customer cannot come.
        (
            r"\b(?:lost|lose|stolen|forgot|misplaced|can'?t find|cannot find)\b.{0,15}\bpassports?\b|"
            r"\bpassports?\b.{0,20}\b(?:lost|stolen|missing|expir\w*|gone)\b|"
            r"\b(?:didn'?t|did not|won'?t|wouldn'?t|would not) let (?:me|us) (?:board|fly|get on|enter|in)\b|"
            r"\b(?:couldn'?t|could not|can'?t|cannot|wasn'?t allowed to|not allowed to|unable to) board\b|"
            r"\b(?:denied|refused) boarding\b|\bmissed (?:my|the|our) (?:flight|plane|connection)\b|"
            r"\b(?:mat|danh mat|bi mat|that lac|quen) (?:ho chieu|passport)\b|"
            r"\b(?:ho chieu|passport)\b.{0,10}\b(?:bi mat|mat roi|het han|bi trom)\b|"
            r"\b(?:khong|ko|k) (?:duoc )?len (?:duoc )?may bay\b|\b(?:lo|tre|nho) chuyen bay\b",
            3,
        ),
        (
            r"パスポート.{0,8}(?:なくし|無くし|紛失|盗ま|忘れ|見つからな|切れ)|搭乗.{0,6}(?:できな|でき(?:ませ|ず)|拒否)|"
            r"(?:飛行機|便|フライト).{0,4}乗り遅れ|(?:护照|護照).{0,6}(?:丢|丟|不见|不見|被偷|遗失|遺失|过期|過期|唔見)|"
            r"(?:丢|丟|遗失|遺失|唔見)(?:了|咗)?(?:护照|護照)|登不了机|登不了機|没能登机|沒能登機|无法登机|無法登機|"
            r"上不了飞机|上不了飛機|误机|誤機|(?:错过|錯過|赶不上|趕不上).{0,4}(?:航班|飞机|飛機)|"
            r"여권.{0,8}(?:잃어|분실|도난|없어|만료)|탑승.{0,6}(?:못|거부|불가)|비행기.{0,6}(?:놓쳤|못 ?탔)|"
            r"(?:พาสปอร์ต|หนังสือเดินทาง).{0,8}(?:หาย|โดนขโมย|ถูกขโมย|หมดอายุ)|ขึ้นเครื่อง(?:บิน)?ไม่ได้|ตกเครื่อง",
            3,
        ),
    ]
)
SPECIAL_MARKED: list[Cue] = [(r"\bbão\b|\blũ\b|\blụt\b|\bốm\b|\bsốt\b", 2)]

PAYMENT: list[Cue] = [
    (
        r"\b(?:pay|paid|payment|paying|payed|invoice|receipt|refund\w*|deposit|bank transfer|wire transfer|"
        r"credit card|paypal|billing|bill)\b",
        2,
    ),
    (r"\b(?:card|transfer|fee|fees|price|cost|charge[sd]?|how much|money|yen|due date|deadline)\b", 1),
    (r"支払|払い|払っ|払え|払う|入金|振込|振り込|請求|領収書|返金|決済|送金|前金|デポジット|クレジット", 2),
    (r"料金|費用|金額|いくら|カード|期日|期限|お金", 1),
    (
        r"付款|支付|付钱|付錢|尾款|余款|餘款|要付|怎么付|怎麼付|点样俾|點樣俾|付清|交钱|交錢|转账|轉帳|轉賬|汇款|匯款|发票|發票|收据|收據|退款|退钱|退錢|信用卡|刷卡|"
        r"支付宝|支付寶|微信支付|定金|订金|訂金|打款|账单|帳單|缴费|繳費",
        2,
    ),
    (r"费用|費用|多少钱|多少錢|价格|價格|钱|錢", 1),
    (r"결제|입금|송금|이체|지불|영수증|환불|청구|납부|계좌|계산서|카드 ?결제", 2),
    (r"카드|비용|요금|얼마(?!나|동안)|돈", 1),
    (r"จ่าย|ชำระ|โอนเงิน|โอน|บัตรเครดิต|ใบเสร็จ|ใบแจ้งหนี้|คืนเงิน|มัดจำ|ค่ามัดจำ", 2),
    (r"ค่าใช้จ่าย|ค่าบริการ|ราคา|เท่าไหร่|เท่าไร|เงิน", 1),
    (
        r"\bthanh toan\b|\btra tien\b|\bchuyen khoan\b|\bchuyen tien\b|\bhoa don\b|\bbien lai\b|"
        r"\bhoan tien\b|\btien coc\b|\bdat coc\b|\bthe tin dung\b|\bck\b",
        2,
    ),
    (r"\bphi\b|\bbao nhieu tien\b|\bthe (?:tin dung|visa|atm|ngan hang)\b", 1),
    (r"현금|돈을? ?내|내도 ?되|낼 ?수", 2),
    (
        r"宛名|但し書き|银联|銀聯|刷卡|\b(?:visa|mastercard|jcb|amex|paypay|line pay|apple pay|google pay|alipay|wechat pay)\b",
        2,
    ),
    (r"เลขบัญชี|บัญชีธนาคาร|พร้อมเพย์", 2),
    (r"俾(?:咗)?錢|畀(?:咗)?錢|過數|入數|找數|俾钱", 2),
]

PRIVACY: list[Cue] = [
    (
        r"\bprivacy\b|\bpersonal (?:data|information|info|details)\b|\bmy (?:personal )?data\b|\bgdpr\b|"
        r"\bdata protection\b|\bdelete (?:my |all my )?(?:account|data|information|info|details|records?)\b|"
        r"\b(?:remove|erase|wipe) (?:my|all my)\b|\bwhat (?:data|information|info) (?:do )?you (?:have|keep|hold|store)\b|"
        r"\b(?:update|correct|fix|change)\w* (?:my |the )?(?:name|e-?mail|phone|number|address|birth|date of birth|"
        r"dob|birthday|details|contact)\b|\b(?:(?:sur|last |family |first |given )?name|email|birthday|address|phone number) is (?:spelled |spelt )?"
        r"(?:wrong|incorrect|misspelt|misspelled)\b|\bmisspel\w*\b|\bthird[- ]part(?:y|ies)\b|"
        r"\bmy (?:information|info|details)\b",
        2,
    ),
    (
        r"個人情報|プライバシー|登録情報|(?:情報|データ)を?(?:削除|消|開示|訂正|修正|変更)|退会|開示請求|第三者|"
        r"(?:メールアドレス|メアド|電話番号|名前|氏名|住所|生年月日).{0,8}?(?:変更|修正|訂正|間違|まちが|変え|違)|"
        r"私の(?:情報|データ)",
        2,
    ),
    (
        r"个人信息|個人信息|个人资料|個人資料|個人資訊|个资|個資|隐私|隱私|第三方|(?:删除|刪除)(?:我的|我嘅|我啲)?(?:资料|資料|信息|"
        r"資訊|数据|數據|账号|帳號|账户|帳戶)|注销|註銷|(?:修改|更改|更正)(?:我的)?(?:姓名|名字|邮箱|郵箱|电话|電話|手机|"
        r"手機|生日|资料|資料|地址|信箱)|(?:姓名|名字|邮箱|郵箱|电话|電話|手机|手機|生日|资料|資料|地址|信箱).{0,4}?"
        r"(?:填错|填錯|写错|寫錯|错了|錯了|有误|有誤|不对|不對)",
        2,
    ),
    (r"我的(?:资料|資料|信息|資訊|数据|數據)", 1),
    (
        r"개인 ?정보|프라이버시|정보(?:를|을)? ?삭제|탈퇴|제3자|(?:제|내|저의|나의) ?정보|"
        r"(?:이름|이메일|메일|전화번호|번호|연락처|생년월일|주소).{0,8}?(?:변경|수정|바꾸|바꿔|바뀌|틀렸|틀려|잘못)",
        2,
    ),
    # The name as it is written ("영문 이름이 KIM MINJI로 되어 있는데"): its spelling, not a booking, changes.
    (r"영문 ?(?:이름|성함)|이름 ?(?:철자|스펠링|표기)|(?:이름|성함)이 .{1,30}(?:로|으로) 되어", 3),
    (
        r"ข้อมูลส่วนตัว|ข้อมูลส่วนบุคคล|ความเป็นส่วนตัว|ลบข้อมูล|แก้ไขข้อมูล|ลบบัญชี|บุคคลที่สาม|"
        r"ข้อมูล(?:ของ)?(?:ฉัน|ผม|เรา|หนู|ดิฉัน|ตัวเอง)|(?:เปลี่ยน|แก้)(?:ชื่อ|อีเมล|อีเมล์|เบอร์|ที่อยู่|วันเกิด)|pdpa|"
        # "who is my surgery history sent to?": a person's records and who receives them.
        r"ข้อมูลประวัติ|ประวัติการ(?:รักษา|ผ่าตัด|ทำศัลยกรรม|ศัลยกรรม).{0,30}?(?:ส่ง|แชร์|เปิดเผย|ให้ใคร)|"
        r"(?:ส่ง|แชร์|เปิดเผย)(?:ข้อมูล)?ให้ใคร",
        2,
    ),
    (
        r"\bthong tin ca nhan\b|\bdu lieu ca nhan\b|\bquyen rieng tu\b|\bxoa (?:thong tin|du lieu|tai khoan)\b|"
        r"\b(?:sua|doi) (?:ten|email|so dien thoai|sdt|ngay sinh|thong tin|dia chi)\b|\bben thu ba\b|"
        r"\bthong tin (?:cua )?(?:toi|em|minh)\b|\bdu lieu (?:cua )?(?:toi|em|minh)\b|"
        r"\b(?:ho so|lich su) (?:benh an|dieu tri|phau thuat)\b.{0,30}\b(?:gui|chia se|cung cap)\b|"
        r"\b(?:gui|chia se|cung cap) (?:thong tin|du lieu|ho so)?\s*cho ai\b",
        2,
    ),
    (r"\bbao mat\b", 1),
    (
        r"\b(?:share|sharing|shared|disclose|give)\w*\b.{0,30}\b(?:my|data|information|history|records)\b|\b(?:medical|treatment) (?:history|records)\b",
        2,
    ),
    (
        r"(?:email|e-mail|mail|line|电话号码|電話號碼|手机号|手機號).{0,6}?(?:打错|打錯|写错|寫錯|错了|錯了|换了|換了|变了|變了|更新)",
        2,
    ),
    (r"\b(?:ten|email|so dien thoai|sdt|ngay sinh|dia chi)\b.{0,15}\b(?:sai|nham)\b", 2),
    (r"สะกดผิด|ชื่อผิด", 2),
    (r"個人データ|個人の情報|(?:メールアドレス|メアド|電話番号|住所|氏名|名前)が?変わ", 2),
    (r"(?:เปลี่ยน|แก้ไข|แก้)(?:ชื่อ|อีเมล|อีเมล์|เบอร์|ที่อยู่|วันเกิด)", 2),
]

HUMAN: list[Cue] = [
    (
        r"\b(?:talk|speak|chat)\w* (?:to|with) (?:a |an |the |some |real |your )*(?:person|human|agent|someone|"
        r"somebody|staff|operator|representative|rep|people|manager|interpreter|coordinator)\b|\breal (?:person|human)\b|"
        r"\bhuman (?:agent|please|pls)\b|^(?:human|agent|operator|person)\b|\bcustomer (?:service|support)\b|"
        r"\bconnect me\b|\bnot a (?:bot|robot)\b|\bare you a (?:bot|robot)\b|\bcall me\b",
        3,
    ),
    (r"\b(?:staff|agent|someone|somebody|person|human)\b", 1),
    (
        r"担当者|担当の方|オペレーター|人と.{0,4}話|人間と|有人|スタッフ(?:さん)?(?:と|に)(?:話|つな|代わ|変わ)|"
        r"(?:電話|でんわ)で(?:話|相談)|電話(?:したい|ください|をください)|人に(?:代わ|変わ|つな)",
        3,
    ),
    (r"スタッフ|電話", 1),
    (
        r"人工(?:客服|服务|服務|坐席|接听|接聽)|(?:转|轉|找|要|接|换|換)人工(?!授|受|智|呼|流|关|關|骨|晶|心|透)|^人工$|真人|客服|找人(?!工)|跟人(?:说|說)|"
        r"同人傾|搵人|搵真人|(?:工作人员|工作人員)(?:联系|聯繫|聯絡)|打(?:电话|電話)给我|"
        r"打(?:电话|電話)給我",
        3,
    ),
    (r"工作人员|工作人員|电话|電話", 1),
    (
        r"상담원|상담사|담당자|사람(?:이랑|과|하고|한테|이) ?(?:대화|얘기|이야기|통화|연결|상담)|연결해|직원(?:분)?(?:이랑|과|하고|한테) ?"
        r"(?:대화|얘기|이야기|통화|연결|상담)|전화(?:해|주세요|주실)",
        3,
    ),
    (r"직원|통화", 1),
    (r"เจ้าหน้าที่|พนักงาน|แอดมิน|คุยกับคน|ขอคุยกับ|คนจริง|โทรหา(?:ฉัน|ผม|หน่อย)", 3),
    (
        r"\bnhan vien\b|\bnguoi that\b|\btu van vien\b|\bgap (?:nguoi|nhan vien|ai do)\b|\bnoi chuyen (?:voi|truc tiep)\b|"
        r"\bgoi (?:dien )?(?:cho|lai cho) (?:toi|em|minh)\b|\badmin\b",
        3,
    ),
    (r"사람 ?(?:으로 )?바꿔|사람 ?연결|사람한테", 3),
    (r"คุยกับ(?:คน|เจ้าหน้าที่|พนักงาน|แอดมิน)|มีคน.{0,10}(?:คุย|ตอบ|พูด)", 3),
    (r"\bco ai (?:truc|o do|tra loi|ho tro)\b|\bai truc\b", 3),
]

PRIVACY.extend(
    [
        (
            r"\b(?:photos?|pictures?|pics?|images?|before[- ]and[- ]after)\b.{0,40}\b(?:share\w*|send|sent|shown?|"
            r"see|seen|use[ds]?|using|post\w*|publish\w*|anyone|who|third|delete\w*|keep|stored?)\b|"
            r"\b(?:share\w*|send|show|post\w*|publish\w*|use|delete|who (?:sees|can see|gets))\b.{0,30}"
            r"\b(?:my |the )?(?:photos?|pictures?|pics?|images?)\b",
            2,
        ),
        (
            r"(?:写真|画像|顔写真|症例写真).{0,12}(?:共有|誰|見|送|使|公開|掲載|第三者|提供|削除|消)|"
            r"(?:照片|相片|图片|圖片|我啲相|啲相).{0,10}(?:给谁|給誰|俾边个|俾邊個|俾其他人|分享|公开|公開|看|睇|发给|發給|"
            r"使用|用|其他人|别人|別人|删除|刪除)|"
            r"사진.{0,10}(?:공유|누구|누가|보여|보내|사용|공개|제3자|삭제|어디에)|"
            r"(?:รูป|ภาพ).{0,30}(?:ส่งให้|แชร์|ใคร|เผยแพร่|ใช้|เปิดเผย|ลบ|เห็น)",
            2,
        ),
    ]
)
# Contact details changed ("我换手机号了", "my phone number has changed", "電話番号が変わりました"): a
# correction of personal data, not a booking change, even with the change words of a booking.
PRIVACY.extend(
    [
        (
            r"(?:手机|手機|电话|電話|邮箱|郵箱|电邮|電郵|地址|联系方式|聯絡方式)(?:号码|號碼|号|號)?.{0,10}?"
            r"(?:换|換|改|变|變|更新|新的)|(?:换|換|改|更新)了?(?:新)?(?:手机|手機|电话|電話|邮箱|郵箱)(?:号|號)?|"
            r"新(?:的)?(?:手机|手機|电话|電話)?(?:号码|號碼)|"
            r"(?:電話番号|携帯番号|携帯の番号|メールアドレス|メアド|住所|連絡先).{0,8}?(?:変わ|変更|新し)|"
            r"新しい(?:電話番号|番号|メールアドレス|住所)|"
            r"\b(?:new|changed (?:my )?)\s*(?:phone|mobile|cell|number|e-?mail|address)\b|"
            r"\b(?:phone|mobile|cell|e-?mail|address)(?: number)?\b.{0,15}\b(?:changed|is now|has changed)\b|"
            r"เบอร์(?:โทร)?.{0,10}(?:เปลี่ยน|ใหม่)|(?:อีเมล|ที่อยู่).{0,10}(?:เปลี่ยน|ใหม่)|"
            r"\b(?:so dien thoai|sdt|dien thoai|email|dia chi)\b.{0,15}\b(?:doi|moi|thay|cap nhat)\b|"
            r"\b(?:doi|thay|cap nhat)\b.{0,6}\b(?:so dien thoai|sdt|email|dia chi)\b",
            3,
        ),
    ]
)
PRIVACY_MARKED: list[Cue] = [
    (r"(?:ảnh|hình)\b.{0,30}(?:chia sẻ|gửi cho|\bai\b|công khai|sử dụng|đăng|xóa|được xem|nhìn thấy)", 2)
]
PAYMENT_MARKED: list[Cue] = [(r"\btiền\b|\bthẻ\b|\bgiá\b", 1)]
CHANGE_MARKED: list[Cue] = [(r"\bđổi\b|\bdời\b|\blùi\b|\bhoãn\b", 2)]
# Unmarked Vietnamese words that are ambiguous once marks are gone (tre: trễ late / trẻ young; om: ốm sick /
# ôm hug; doi: đổi change / đợi wait). They count only in text typed without any marks.
UNMARKED_TABLES: dict[str, list[Cue]] = {
    "late": [(r"\btre\b|\bmuon (?:\d|mot|hai|ba|nua)", 2)],
    "special_circumstance": [(r"\b(?:bi|dang|toi|em|minh) om\b|\bom (?:roi|qua|nang)\b|\bsot\b", 2)],
    "change": [(r"\bdoi\b(?! (?:toi|em|minh|chut|xiu|\d))", 1)],
}

TABLES: dict[str, list[Cue]] = {
    "cancel": CANCEL,
    "change": CHANGE,
    "late": LATE,
    "special_circumstance": SPECIAL,
    "payment": PAYMENT,
    "privacy": PRIVACY,
    "human": HUMAN,
}
MARKED_TABLES: dict[str, list[Cue]] = {
    "late": LATE_MARKED,
    "special_circumstance": SPECIAL_MARKED,
    "payment": PAYMENT_MARKED,
    "change": CHANGE_MARKED,
    "privacy": PRIVACY_MARKED,
}
