"""Write the e-mail corpus of tests/data/mail/ (real-world shapes of the regional center's messages).

Run once after changing it: ``.venv/bin/python tests/data/make_mail_corpus.py``. The files are
committed; the tests read them, they never run this.
"""

from __future__ import annotations

import base64
import os
import quopri
from email.header import Header

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mail")
PDF = b"%PDF-1.4\n% card of the appeal\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4  # a JPEG by its first bytes (uploads are checked by content)
DOCX_LIKE = b"PK\x03\x04" + bytes(range(200))


def body_lines(ukc: str, name: str, labels: dict | None = None) -> str:
    labels = {
        "ukc": "Номер звернення УКЦ",
        "ukc_date": "Дата звернення до УКЦ",
        "okc": "Реєстраційний номер ОКЦ",
        "okc_date": "Дата реєстрації в ОКЦ",
        "name": "Заявник",
        "email": "E-mail",
        "topic": "Тема",
        "content": "Зміст звернення",
        "due": "Вирішити до",
        **(labels or {}),
    }
    return (
        "Добрий день!\n\nОбласний контактний центр надсилає для розгляду звернення.\n\n"
        f"{labels['ukc']}: {ukc}\n"
        f"{labels['ukc_date']}: 27.11.2026 14:05\n"
        f"{labels['okc']}: 45{ukc[-3:]}/01-26\n"
        f"{labels['okc_date']}: 27.11.2026\n"
        f"{labels['name']}: {name}\n"
        "Адреса: 49000, м. Дніпро, вул. Січеславська Набережна, буд. 15, кв. 7\n"
        "Телефон: +380 67 123 45 67, 056 123 45 67\n"
        f"{labels['email']}: —\n"
        "Соціальний стан: пенсіонер\n"
        "Категорія: особа з інвалідністю ІІ групи\n"
        f"{labels['topic']}: Житлово-комунальне господарство / Теплопостачання\n"
        "Вид звернення: скарга\n"
        f"{labels['content']}:\n"
        "У квартирі з 20 листопада холодні батареї, температура 14 градусів.\n"
        "Прошу забезпечити опалення та повідомити про результат.\n"
        f"{labels['due']}: 27.12.2026\n\n"
        "З повагою,\nоператор обласного контактного центру\n"
    )


def headers(subject: str, message_id: str, date: str = "Fri, 27 Nov 2026 16:41:00 +0200") -> str:
    return (
        f"From: =?utf-8?b?{base64.b64encode('Обласний контактний центр'.encode()).decode()}?= <okc@contact-center.example.gov.ua>\n"
        "To: zvernennia@rada.example.gov.ua\n"
        f"Subject: {Header(subject, 'utf-8').encode()}\n"
        f"Date: {date}\n"
        f"Message-ID: <{message_id}@contact-center.example.gov.ua>\n"
        "MIME-Version: 1.0\n"
    )


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode()


def write(name: str, text: str | bytes) -> None:
    data = text.encode("ascii") if isinstance(text, str) else text
    with open(os.path.join(HERE, name), "wb") as fh:
        fh.write(data.replace(b"\r\n", b"\n"))


def multipart_pdf():
    body = body_lines("2611-004301", "Петренко Ганна Іванівна")
    write(
        "multipart_rfc2231.eml",
        headers("Звернення УКЦ № 2611-004301 від 27.11.2026", "m1")
        + 'Content-Type: multipart/mixed; boundary="BOUNDARY"\n\n--BOUNDARY\n'
        'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + b64(body.encode())
        + "\n--BOUNDARY\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment;\n"
        " filename*0*=utf-8''%D0%9A%D0%B0%D1%80%D1%82%D0%BA%D0%B0%20%D0%B7%D0%B2%D0%B5;\n"
        " filename*1*=%D1%80%D0%BD%D0%B5%D0%BD%D0%BD%D1%8F%202611-004301.pdf\n\n"
        + b64(PDF)
        + "\n--BOUNDARY\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename*=windows-1251''%D4%EE%F2%EE%20%E1%E0%F2%E0%F0%E5%BF.jpg\n\n"
        + b64(JPEG)
        + "\n--BOUNDARY--\n",
    )


def cp1251_qp():
    body = body_lines(
        "2611-004302",
        "Коваль Олег Миколайович",
        {"ukc": "N звернення укц", "okc": "№ ОКЦ", "name": "ПІБ заявника", "email": "Ел. пошта", "topic": "Питання",
         "content": "ЗМІСТ", "due": "Термін"},
    )  # fmt: skip
    write(
        "cp1251_quoted_printable.eml",
        headers("Звернення УКЦ N 2611-004302", "m2").encode()
        + b'Content-Type: text/plain; charset="windows-1251"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + quopri.encodestring(body.encode("cp1251")),
    )


def koi8u_base64():
    body = body_lines("2611-004303", "Гнатюк Ірина Степанівна", {"ukc": "No звернення УКЦ"})
    write(
        "koi8u_base64.eml",
        headers("Звернення УКЦ 2611-004303", "m3")
        + 'Content-Type: text/plain; charset="koi8-u"\nContent-Transfer-Encoding: base64\n\n'
        + b64(body.replace("—", "-").encode("koi8_u")),
    )


def html_only():
    lines = body_lines("2611-004304", "Мельник Ярослав Богданович").split("\n")
    html = (
        "<html><head><style>p{margin:0}</style></head><body>"
        + "".join(
            f"<p>{line.replace('—', '&mdash;').replace('«', '&laquo;')}</p>" if line else "<br>" for line in lines
        )
        + "</body></html>"
    )
    write(
        "html_only.eml",
        headers("Звернення УКЦ № 2611-004304", "m4").encode()
        + b'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + quopri.encodestring(html.encode()),
    )


def forwarded():
    original = body_lines("2611-004305", "Бондар Марія Петрівна")
    quoted = "\n".join("> " + line for line in original.split("\n"))
    text = (
        "Пересилаю звернення, що надійшло на стару адресу.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Обласний контактний центр <okc@contact-center.example.gov.ua>\n"
        "Date: Fri, 27 Nov 2026 at 16:41\n"
        "Subject: Звернення УКЦ № 2611-004305\n\n" + quoted + "\n"
    )
    write(
        "forwarded_quoted.eml",
        headers("Fwd: Звернення УКЦ № 2611-004305", "m5", "Sat, 28 Nov 2026 09:15:00 +0200")
        + 'Content-Type: multipart/mixed; boundary="FWD"\n\n--FWD\n'
        'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + b64(text.encode())
        + "\n--FWD\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\n"
        "Content-Transfer-Encoding: base64\n"
        f'Content-Disposition: attachment; filename="{Header("Довідка заявника.docx", "utf-8").encode()}"\n\n'
        + b64(DOCX_LIKE)
        + "\n--FWD--\n",
    )


def broken():
    write("broken.eml", b"\x00\x01\x02 this is not an e-mail at all\n\xff\xfe garbage without headers\n")


def not_appeal():
    text = "Доброго дня!\n\nЗапрошуємо на семінар з питань діловодства 3 грудня о 10:00.\n\nЗ повагою, оргкомітет\n"
    write(
        "not_an_appeal.eml",
        headers("Запрошення на семінар", "m7")
        + 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + b64(text.encode()),
    )


def too_large():
    body = body_lines("2611-004308", "Шевченко Тарас Григорович")
    write(
        "too_large.eml",
        headers("Звернення УКЦ № 2611-004308", "m8") + 'Content-Type: multipart/mixed; boundary="BIG"\n\n--BIG\n'
        'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + b64(body.encode())
        + "\n--BIG\nContent-Type: image/tiff\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=scan.tif\n\n" + b64(os.urandom(0) + bytes(300_000)) + "\n--BIG--\n",
    )


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for make in (multipart_pdf, cp1251_qp, koi8u_base64, html_only, forwarded, broken, not_appeal, too_large):
        make()
