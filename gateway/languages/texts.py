"""The gateway's own sentences, translated: what it says when SDX has nothing to say.

SDX speaks the survey in the respondent's language; these are the few
sentences the gateway adds (no survey, the apology, silence, keys that hold
no answer, and the SMS replies). An operator replaces any of them per
language in ``GATEWAY_LANGUAGES`` (``"texts"``), and the default language's
come from the ``GATEWAY_*_MESSAGE`` settings. There is no built-in message
for an answering machine (``GATEWAY_MACHINE_MESSAGE`` is the operator's own,
and empty by default).

The SMS help text names the language's own opt-out keyword (recognised by
``gateway.sms.keywords``) next to STOP, which carriers honour everywhere.
"""

from __future__ import annotations

from gateway.config.languages import TextName

BUILT_IN: dict[str, dict[TextName, str]] = {
    "es": {
        "no_survey": "Gracias por llamar. No hay ninguna encuesta pendiente para este número. "
        "Adiós.",
        "apology": "Lo sentimos, ahora no podemos registrar sus respuestas. "
        "Por favor, vuelva a llamar más tarde. Adiós.",
        "no_input": "Perdone, no le he entendido.",
        "invalid_keys": "Lo sentimos, esa no es una respuesta válida.",
        "sms_no_survey": "No hay ninguna encuesta pendiente para este número.",
        "sms_try_later": "Lo sentimos, ahora no podemos registrar su respuesta. "
        "Por favor, inténtelo más tarde.",
        "sms_help": "Responda a cada pregunta para contestar nuestra encuesta. "
        "Responda ALTO o STOP para darse de baja.",
        "sms_text_only": "Por favor, responda con un mensaje de texto.",
    },
    "fr": {
        "no_survey": "Merci de votre appel. Aucune enquête n'attend ce numéro. Au revoir.",
        "apology": "Désolé, nous ne pouvons pas enregistrer vos réponses pour le moment. "
        "Veuillez rappeler plus tard. Au revoir.",
        "no_input": "Désolé, je n'ai pas compris.",
        "invalid_keys": "Désolé, ce n'est pas une réponse valable.",
        "sms_no_survey": "Aucune enquête n'attend ce numéro.",
        "sms_try_later": "Désolé, nous ne pouvons pas enregistrer votre réponse pour le moment. "
        "Veuillez réessayer plus tard.",
        "sms_help": "Répondez à chaque question pour participer à notre enquête. "
        "Répondez ARRET ou STOP pour vous désabonner.",
        "sms_text_only": "Veuillez répondre par un message texte.",
    },
    "de": {
        "no_survey": "Vielen Dank für Ihren Anruf. Für diese Nummer liegt keine Umfrage vor. "
        "Auf Wiederhören.",
        "apology": "Leider können wir Ihre Antworten gerade nicht speichern. "
        "Bitte rufen Sie später noch einmal an. Auf Wiederhören.",
        "no_input": "Entschuldigung, das habe ich nicht verstanden.",
        "invalid_keys": "Entschuldigung, das ist keine gültige Antwort.",
        "sms_no_survey": "Für diese Nummer liegt keine Umfrage vor.",
        "sms_try_later": "Leider können wir Ihre Antwort gerade nicht speichern. "
        "Bitte versuchen Sie es später noch einmal.",
        "sms_help": "Beantworten Sie jede Frage mit einer SMS. "
        "Senden Sie STOPP oder STOP, um sich abzumelden.",
        "sms_text_only": "Bitte antworten Sie mit einer Textnachricht.",
    },
    "it": {
        "no_survey": "Grazie per aver chiamato. Non c'è nessun sondaggio in attesa per questo "
        "numero. Arrivederci.",
        "apology": "Siamo spiacenti, al momento non possiamo registrare le sue risposte. "
        "La preghiamo di richiamare più tardi. Arrivederci.",
        "no_input": "Mi scusi, non ho capito.",
        "invalid_keys": "Mi scusi, questa non è una risposta valida.",
        "sms_no_survey": "Non c'è nessun sondaggio in attesa per questo numero.",
        "sms_try_later": "Siamo spiacenti, al momento non possiamo registrare la sua risposta. "
        "Riprovi più tardi.",
        "sms_help": "Risponda a ogni domanda per partecipare al nostro sondaggio. "
        "Invii ANNULLA o STOP per non ricevere più messaggi.",
        "sms_text_only": "Risponda con un messaggio di testo.",
    },
    "pt": {
        "no_survey": "Obrigado por ligar. Não há nenhuma pesquisa pendente para este número. "
        "Até logo.",
        "apology": "Desculpe, não podemos registrar suas respostas agora. "
        "Por favor, ligue novamente mais tarde. Até logo.",
        "no_input": "Desculpe, não entendi.",
        "invalid_keys": "Desculpe, essa não é uma resposta válida.",
        "sms_no_survey": "Não há nenhuma pesquisa pendente para este número.",
        "sms_try_later": "Desculpe, não podemos registrar sua resposta agora. "
        "Por favor, tente novamente mais tarde.",
        "sms_help": "Responda a cada pergunta para participar da nossa pesquisa. "
        "Responda SAIR ou STOP para cancelar.",
        "sms_text_only": "Por favor, responda com uma mensagem de texto.",
    },
    "zh": {
        "no_survey": "感谢您的来电。此号码没有待完成的调查。再见。",
        "apology": "抱歉，我们现在无法记录您的回答。请稍后再打来。再见。",
        "no_input": "抱歉，我没有听清。",
        "invalid_keys": "抱歉，这不是有效的回答。",
        "sms_no_survey": "此号码没有待完成的调查。",
        "sms_try_later": "抱歉，我们现在无法记录您的回答。请稍后再试。",
        "sms_help": "请回复每个问题来完成我们的调查。回复 退订 或 STOP 即可退订。",
        "sms_text_only": "请用文字短信回复。",
    },
    "vi": {
        "no_survey": "Cảm ơn quý vị đã gọi. Không có khảo sát nào đang chờ số điện thoại này. "
        "Xin chào tạm biệt.",
        "apology": "Xin lỗi, hiện chúng tôi không thể ghi nhận câu trả lời của quý vị. "
        "Vui lòng gọi lại sau. Xin chào tạm biệt.",
        "no_input": "Xin lỗi, tôi chưa nghe rõ.",
        "invalid_keys": "Xin lỗi, đó không phải là câu trả lời hợp lệ.",
        "sms_no_survey": "Không có khảo sát nào đang chờ số điện thoại này.",
        "sms_try_later": "Xin lỗi, hiện chúng tôi không thể ghi nhận câu trả lời của quý vị. "
        "Vui lòng thử lại sau.",
        "sms_help": "Hãy trả lời từng câu hỏi để tham gia khảo sát. "
        "Trả lời DUNG hoặc STOP để hủy đăng ký.",
        "sms_text_only": "Vui lòng trả lời bằng tin nhắn văn bản.",
    },
    "ar": {
        "no_survey": "شكرا لاتصالك. لا يوجد استبيان بانتظار هذا الرقم. مع السلامة.",
        "apology": "عذرا، لا يمكننا تسجيل إجاباتك الآن. يرجى معاودة الاتصال لاحقا. مع السلامة.",
        "no_input": "عذرا، لم أفهم ذلك.",
        "invalid_keys": "عذرا، هذه ليست إجابة صحيحة.",
        "sms_no_survey": "لا يوجد استبيان بانتظار هذا الرقم.",
        "sms_try_later": "عذرا، لا يمكننا تسجيل إجابتك الآن. يرجى المحاولة لاحقا.",
        "sms_help": "أجب عن كل سؤال للمشاركة في الاستبيان. أرسل إيقاف أو STOP لإلغاء الاشتراك.",
        "sms_text_only": "يرجى الرد برسالة نصية.",
    },
}
