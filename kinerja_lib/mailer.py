"""Sending e-mail through the office's SMTP server: settings from the environment, one connection, a rate limit."""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from types import TracebackType

from .contact import parse_email
from .errors import MailError

ENV_HOST = "KINERJA_SMTP_HOST"
ENV_PORT = "KINERJA_SMTP_PORT"
ENV_SECURITY = "KINERJA_SMTP_KEAMANAN"
ENV_USER = "KINERJA_SMTP_USER"
ENV_PASSWORD = "KINERJA_SMTP_PASSWORD"   # never a command-line argument: those are visible to every user
ENV_SENDER = "KINERJA_SMTP_PENGIRIM"
ENV_PER_MINUTE = "KINERJA_SMTP_PER_MENIT"
ENV_CA = "KINERJA_SMTP_CA"               # certificates of an internal CA that signed the server's certificate

#: ``starttls``: plain connection upgraded to TLS (port 587); ``ssl``: TLS from the start (465);
#: ``tanpa``: no encryption, only for a relay on the same machine or network that needs no password.
SECURITY = ("starttls", "ssl", "tanpa")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "tanpa": 25}
#: Many office and hosted mail servers throttle or block bulk senders above a few dozen a minute.
DEFAULT_PER_MINUTE = 20
MAX_PER_MINUTE = 600

# Connection-level failures end a run: the server is gone, every later message would fail too.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, smtplib.SMTPHeloError,
                     smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError, ConnectionError, TimeoutError,
                     ssl.SSLError)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: the server, its security, the account and the sender address."""

    host: str
    port: int
    keamanan: str
    pengirim: str                    # "BKPSDM Kota Surakarta <kinerja@surakarta.go.id>" or a bare address
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    cafile: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """Return a TLS context that verifies the server's certificate and name (also against ``cafile``)."""
        return ssl.create_default_context(cafile=self.cafile)

    @property
    def sender(self) -> Address:
        """Return the sender as an address header value."""
        name, address = parseaddr(self.pengirim)
        local, domain = address.split("@")
        return Address(display_name=name, username=local, domain=domain)

    def describe(self) -> str:
        """Return a one-line Indonesian description without the password."""
        account = f", akun {self.user}" if self.user else ", tanpa akun"
        security = "tanpa enkripsi" if self.keamanan == "tanpa" else self.keamanan.upper()
        return f"{self.host}:{self.port} ({security}{account}), pengirim {self.pengirim}"


def settings_from(environ: Mapping[str, str] | None = None, **given: object) -> SmtpSettings:
    """Return SMTP settings from keyword values (CLI options), else the ``KINERJA_SMTP_*`` variables.

    The password comes only from ``$KINERJA_SMTP_PASSWORD``. Raises MailError (Indonesian) for a
    missing server or sender, a bad port or security, an account without a password, or a password
    that would travel unencrypted.
    """
    env = os.environ if environ is None else environ

    def pick(key: str, var: str) -> str:
        value = given.get(key)
        return str(value).strip() if value not in (None, "") else env.get(var, "").strip()

    host, sender = pick("host", ENV_HOST), pick("pengirim", ENV_SENDER)
    security = (pick("keamanan", ENV_SECURITY) or "starttls").lower()
    user = pick("user", ENV_USER) or None
    password = env.get(ENV_PASSWORD) or None
    if not host:
        raise MailError(f"server SMTP belum diatur: isi --smtp-host atau variabel lingkungan {ENV_HOST}")
    if security not in SECURITY:
        raise MailError(f"keamanan SMTP '{security}' tidak dikenal; pilihan: {', '.join(SECURITY)}")
    port_text = pick("port", ENV_PORT)
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise MailError(f"port SMTP '{port_text}' tidak sah; isi angka 1 sampai 65535")
        port = int(port_text)
    else:
        port = DEFAULT_PORTS[security]
    if not sender:
        raise MailError(f"alamat pengirim belum diatur: isi --pengirim atau variabel lingkungan {ENV_SENDER}")
    name, address = parseaddr(sender)
    checked, message = parse_email(address) if address else (None, "kosong")
    if checked is None or any(ch in sender for ch in "\r\n"):
        raise MailError(f"alamat pengirim '{sender[:80]}' tidak sah; tulis mis. "
                        "'BKPSDM Kota Surakarta <kinerja@surakarta.go.id>'")
    if user and not password:
        raise MailError(f"akun SMTP '{user}' butuh kata sandi: isi variabel lingkungan {ENV_PASSWORD} "
                        "(sengaja tidak lewat opsi perintah, agar tidak terlihat di daftar proses)")
    if password and not user:
        raise MailError(f"{ENV_PASSWORD} terisi tetapi akun SMTP belum: isi --smtp-user atau {ENV_USER}")
    if password and security == "tanpa":
        raise MailError("kata sandi SMTP tidak dikirim lewat koneksi tanpa enkripsi; pakai keamanan 'starttls' "
                        "atau 'ssl'")
    cafile = pick("cafile", ENV_CA) or None
    if cafile is not None:
        try:
            ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise MailError(f"berkas sertifikat CA '{cafile}' tidak dapat dipakai: {exc}") from None
    return SmtpSettings(host, port, security, sender, user, password, cafile=cafile)


def per_minute_from(value: int | None, environ: Mapping[str, str] | None = None) -> int:
    """Return the rate limit: ``value``, else ``$KINERJA_SMTP_PER_MENIT``, else 20; MailError outside 1-600."""
    env = os.environ if environ is None else environ
    if value is None:
        text = env.get(ENV_PER_MINUTE, "").strip()
        if not text:
            return DEFAULT_PER_MINUTE
        if not (text.isascii() and text.isdigit()):
            raise MailError(f"{ENV_PER_MINUTE} '{text[:20]}' bukan bilangan bulat")
        value = int(text)
    if not 1 <= value <= MAX_PER_MINUTE:
        raise MailError(f"batas kiriman {value} per menit di luar rentang 1 sampai {MAX_PER_MINUTE}")
    return value


def build_message(settings: SmtpSettings, to_name: str, to_address: str, subject: str, text: str,
                  html: str | None = None) -> EmailMessage:
    """Return a plain-text message (with an HTML alternative when given) from the configured sender.

    Header values are folded and encoded by the standard library; a line break in a name or subject
    is removed first, so no value can add a header.
    """
    local, domain = to_address.split("@")
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = Address(display_name=" ".join(to_name.split()), username=local, domain=domain)
    msg["Subject"] = " ".join(subject.split())
    msg["Message-ID"] = make_msgid(domain=settings.sender.domain)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


class RateLimit:
    """Spaces sends evenly: the n-th send starts no earlier than ``60 / per_minute`` seconds after the previous.

    ``clock`` and ``sleep`` are injectable so a test can check the pacing without waiting.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 60.0 / per_minute
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the next send is allowed, then reserve its slot."""
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class Mailer:
    """One SMTP session (context manager): connect, secure, log in, send messages, quit."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.keamanan == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.keamanan == "starttls":
                    smtp.starttls(context=s.tls_context())
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException:
            if smtp is not None:
                smtp.close()
            raise
        return smtp

    def __enter__(self) -> Mailer:
        s = self.settings
        try:
            self._smtp = self._open()
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"server SMTP {s.host}:{s.port} menolak akun '{s.user}' (nama akun atau kata sandi "
                            f"salah); tidak ada e-mail yang dikirim") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"tidak dapat terhubung ke server SMTP {s.host}:{s.port} ({s.keamanan}): "
                            f"{describe_error(exc)}; tidak ada e-mail yang dikirim") from None
        return self

    def send(self, msg: EmailMessage) -> None:
        """Send one message; raises smtplib.SMTPException or OSError when the server refuses or is gone."""
        if self._smtp is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        self._smtp.send_message(msg)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def describe_error(exc: BaseException) -> str:
    """Return a short text of an SMTP or network error for the sent log and the admin (no message content)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                 for code, msg in exc.recipients.values()]
        return "penerima ditolak: " + "; ".join(codes)[:300]
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"[:300]
    return (str(exc) or type(exc).__name__)[:300]
