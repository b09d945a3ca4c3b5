"""SMS commands per language: the words that opt out, opt back in or ask for help.

Carriers and Twilio act on the English ones (STOP, START, HELP...) whatever
the respondent's language, and Twilio's Advanced Opt-Out on any the
operator adds there; these let the gateway honour a Spanish "ALTO" too,
which its own Spanish help text tells respondents to send. A keyword is
the whole message, compared folded (case and accents do not matter).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.languages.words import fold


@dataclass(frozen=True)
class Keywords:
    """Each set folded (``gateway.languages.words.fold``)."""

    stop: frozenset[str]
    start: frozenset[str]
    help: frozenset[str]

    def command(self, word: str) -> str:
        """STOP, START, HELP or "" for a whole message, folded."""
        for command, words in (("STOP", self.stop), ("START", self.start), ("HELP", self.help)):
            if word in words:
                return command
        return ""


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(word) for word in text.split("|"))


ENGLISH = Keywords(
    stop=_words("STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT|REVOKE|OPTOUT"),
    start=_words("START|UNSTOP"),
    help=_words("HELP|INFO"),
)

BUILT_IN: dict[str, Keywords] = {
    "en": ENGLISH,
    "es": Keywords(
        stop=_words("ALTO|PARAR|PARE|BAJA|DETENER|CANCELAR"),
        start=_words("INICIO|COMENZAR|ALTA|REANUDAR"),
        help=_words("AYUDA"),
    ),
    "fr": Keywords(
        stop=_words("ARRÊT|ARRET|ARRÊTER|DÉSABONNER|DÉSINSCRIRE|ANNULER"),
        start=_words("DÉMARRER|REPRENDRE"),
        help=_words("AIDE"),
    ),
    "de": Keywords(
        stop=_words("STOPP|ABMELDEN|ABBESTELLEN|BEENDEN"),
        start=_words("STARTEN|ANMELDEN"),
        help=_words("HILFE"),
    ),
    "it": Keywords(
        stop=_words("ANNULLA|FERMA|DISISCRIVI|BASTA"),
        start=_words("INIZIA|RIPRENDI"),
        help=_words("AIUTO"),
    ),
    "pt": Keywords(
        stop=_words("SAIR|PARAR|PARE|CANCELAR"),
        start=_words("INICIAR|COMEÇAR|VOLTAR"),
        help=_words("AJUDA"),
    ),
    "zh": Keywords(
        stop=_words("退订|退訂|停止|取消订阅|取消訂閱"),
        start=_words("开始|開始|订阅|訂閱"),
        help=_words("帮助|幫助"),
    ),
    "vi": Keywords(
        stop=_words("DỪNG|DUNG|HỦY|HUY|HỦY ĐĂNG KÝ"),
        start=_words("BẮT ĐẦU|BAT DAU"),
        help=_words("TRỢ GIÚP|TRO GIUP|GIÚP"),
    ),
    "ar": Keywords(
        stop=_words("إيقاف|ايقاف|توقف|إلغاء|الغاء"),
        start=_words("ابدأ|بدء"),
        help=_words("مساعدة"),
    ),
}
