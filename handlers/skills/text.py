"""Every message of the help-between-peers capability, in Italian and English."""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.skills": {"en": "Help between peers", "it": "Aiuto tra pari"},
    "cmd.skills": {
        "en": "your skills, or a member's",
        "it": "le tue competenze, o quelle di un membro",
    },
    "usage.skills": {"en": "[member]", "it": "[membro]"},
    "cmd.skills_add": {
        "en": "declare what you know (comma-separated)",
        "it": "dichiara cosa sai fare (separato da virgole)",
    },
    "usage.skills_add": {"en": "<skill>, <skill>, …", "it": "<competenza>, <competenza>, …"},
    "cmd.skills_remove": {"en": "remove skills of yours", "it": "togli tue competenze"},
    "usage.skills_remove": {"en": "<skill>, …", "it": "<competenza>, …"},
    "cmd.whoknows": {
        "en": "who knows something, present ones first",
        "it": "chi sa fare qualcosa, prima chi è presente",
    },
    "usage.whoknows": {"en": "<skill>", "it": "<competenza>"},
    "cmd.ask": {
        "en": "ask for help: I tell those who know",
        "it": "chiedi aiuto: lo dico a chi sa",
    },
    "usage.ask": {"en": "<skill>: <question>", "it": "<competenza>: <domanda>"},
    "cmd.offer": {"en": "offer your help on a request", "it": "offri il tuo aiuto a una richiesta"},
    "usage.offer": {"en": "<number>", "it": "<numero>"},
    "cmd.done": {"en": "mark a request as solved", "it": "segna una richiesta come risolta"},
    "usage.done": {"en": "<number>", "it": "<numero>"},
    "cmd.thanks": {
        "en": "thank whoever helped you (a kudos)",
        "it": "ringrazia chi ti ha aiutato (un kudos)",
    },
    "usage.thanks": {"en": "<number>", "it": "<numero>"},
    "cmd.cancel": {"en": "cancel a request", "it": "annulla una richiesta"},
    "usage.cancel": {"en": "<number>", "it": "<numero>"},
    "cmd.requests": {"en": "requests waiting for help", "it": "richieste in attesa di aiuto"},
    "button.offer": {"en": "I can help", "it": "Posso aiutare"},
    "button.done": {"en": "Solved", "it": "Risolta"},
    "button.thanks": {"en": "Say thanks", "it": "Ringrazia"},
    # -- skills ---------------------------------------------------------------------
    "skills.bad": {
        "en": {
            "one": (
                "{skills} is not a skill: a skill needs a letter or a digit and at most "
                "{limit} characters."
            ),
            "other": (
                "{skills} are not skills: a skill needs a letter or a digit and at most "
                "{limit} characters."
            ),
        },
        "it": {
            "one": (
                "{skills} non è una competenza: ci vuole almeno una lettera o una cifra e "
                "al massimo {limit} caratteri."
            ),
            "other": (
                "{skills} non sono competenze: ci vuole almeno una lettera o una cifra e "
                "al massimo {limit} caratteri."
            ),
        },
    },
    "skills.none_given": {
        "en": "Which skill? Write it after the command.",
        "it": "Quale competenza? Scrivila dopo il comando.",
    },
    "skills.line_too_long": {
        "en": "Too long: at most {limit} characters in all.",
        "it": "Troppo lungo: al massimo {limit} caratteri in tutto.",
    },
    "skills.mine": {
        "en": {
            "one": "<b>Your skills</b> ({count} of {limit}): {skills}",
            "other": "<b>Your skills</b> ({count} of {limit}): {skills}",
        },
        "it": {
            "one": "<b>Le tue competenze</b> ({count} su {limit}): {skills}",
            "other": "<b>Le tue competenze</b> ({count} su {limit}): {skills}",
        },
    },
    "skills.mine_none": {
        "en": "You have not declared any skill yet. Add some with {add}, e.g. {example}.",
        "it": "Non hai ancora dichiarato competenze. Aggiungine con {add}, per esempio {example}.",
    },
    "skills.example": {"en": "Excel, accounting", "it": "Excel, contabilità"},
    "skills.theirs": {
        "en": "<b>Skills of {name}</b>: {skills}",
        "it": "<b>Competenze di {name}</b>: {skills}",
    },
    "skills.theirs_none": {
        "en": "{name} has not declared any skill yet.",
        "it": "{name} non ha ancora dichiarato competenze.",
    },
    "skills.kudos": {
        "en": {"one": "{count} kudos received.", "other": "{count} kudos received."},
        "it": {"one": "{count} kudos ricevuto.", "other": "{count} kudos ricevuti."},
    },
    "skills.added": {
        "en": "Added: {skills}.",
        "it": "Aggiunte: {skills}.",
    },
    "skills.already_had": {
        "en": "You already had: {skills}.",
        "it": "Avevi già: {skills}.",
    },
    "skills.count": {
        "en": {"one": "You now have {count} skill.", "other": "You now have {count} skills."},
        "it": {
            "one": "Ora hai {count} competenza.",
            "other": "Ora hai {count} competenze.",
        },
    },
    "skills.too_many": {
        "en": (
            "At most {limit} skills each: you have {have} and asked to add {adding}. "
            "Remove some first with {remove}."
        ),
        "it": (
            "Al massimo {limit} competenze a testa: ne hai {have} e volevi aggiungerne "
            "{adding}. Prima togline qualcuna con {remove}."
        ),
    },
    "skills.not_yours": {
        "en": "You don't have {skills}. Your skills: {mine}.",
        "it": "Non hai {skills}. Le tue competenze: {mine}.",
    },
    "skills.none_word": {"en": "none", "it": "nessuna"},
    "skills.removed": {"en": "Removed: {skills}.", "it": "Tolte: {skills}."},
    "skills.whoknows_title": {
        "en": "<b>Who knows {skill}</b>",
        "it": "<b>Chi sa di {skill}</b>",
    },
    "skills.whoknows_line": {
        "en": "• {name} — {label}{here}{kudos}",
        "it": "• {name} — {label}{here}{kudos}",
    },
    "skills.here_mark": {"en": " · here now", "it": " · qui ora"},
    "skills.kudos_mark": {
        "en": {"one": " · {count} kudos", "other": " · {count} kudos"},
        "it": {"one": " · {count} kudos", "other": " · {count} kudos"},
    },
    "skills.and_more": {
        "en": {"one": "and {count} more", "other": "and {count} more"},
        "it": {"one": "e altri {count}", "other": "e altri {count}"},
    },
    "skills.nobody_knows": {
        "en": "Nobody here has declared {skill} yet. You can still ask everyone: {ask}",
        "it": "Nessuno qui ha ancora dichiarato {skill}. Puoi comunque chiedere a tutti: {ask}",
    },
    # -- asking -----------------------------------------------------------------------
    "skills.ask_no_colon": {
        "en": "Put a colon between the skill and the question.",
        "it": "Metti i due punti tra la competenza e la domanda.",
    },
    "skills.ask_no_question": {
        "en": "What is the question? Write it after the colon.",
        "it": "Qual è la domanda? Scrivila dopo i due punti.",
    },
    "skills.ask_no_skill": {
        "en": "Which skill does it need? Write it before the colon.",
        "it": "Che competenza serve? Scrivila prima dei due punti.",
    },
    "skills.question_too_long": {
        "en": "The question is too long: at most {limit} characters (you wrote {length}).",
        "it": "La domanda è troppo lunga: al massimo {limit} caratteri (ne hai scritti {length}).",
    },
    "skills.request_post": {
        "en": "🙋 <b>#{number}</b> {name} asks for help with <b>{skill}</b>:\n{question}",
        "it": "🙋 <b>#{number}</b> {name} chiede aiuto su <b>{skill}</b>:\n{question}",
    },
    "skills.request_notice": {
        "en": (
            "🙋 {name} asks for help with <b>{skill}</b>, which you know "
            "(request <b>#{number}</b>):\n{question}\nCan you help? {offer}"
        ),
        "it": (
            "🙋 {name} chiede aiuto su <b>{skill}</b>, che tu conosci "
            "(richiesta <b>#{number}</b>):\n{question}\nPuoi aiutare? {offer}"
        ),
    },
    "skills.asked_told": {
        "en": {
            "one": "I told {count} member who knows {skill}, privately.",
            "other": "I told {count} members who know {skill}, privately.",
        },
        "it": {
            "one": "L'ho detto in privato a {count} membro che conosce {skill}.",
            "other": "L'ho detto in privato a {count} membri che conoscono {skill}.",
        },
    },
    "skills.asked_nobody": {
        "en": "Nobody here has declared {skill} yet, so the request is in the group only.",
        "it": "Nessuno qui ha ancora dichiarato {skill}, quindi la richiesta è solo nel gruppo.",
    },
    "skills.asked_private": {
        "en": "Your request <b>#{number}</b> is posted in the group.",
        "it": "La tua richiesta <b>#{number}</b> è pubblicata nel gruppo.",
    },
    "skills.asked_cancel": {
        "en": "You can cancel it with {cancel}.",
        "it": "Puoi annullarla con {cancel}.",
    },
    # -- the lifecycle ----------------------------------------------------------------
    "skills.no_such_request": {
        "en": "There is no request #{number}. {requests} lists the open ones.",
        "it": "Non c'è nessuna richiesta #{number}. {requests} elenca quelle aperte.",
    },
    "skills.state.resolved": {"en": "solved", "it": "risolta"},
    "skills.state.cancelled": {"en": "cancelled", "it": "annullata"},
    "skills.state.expired": {"en": "expired", "it": "scaduta"},
    "skills.closed": {
        "en": "Request #{number} is already {state}: nothing to do.",
        "it": "La richiesta #{number} è già {state}: non c'è niente da fare.",
    },
    "skills.offer_own": {
        "en": "#{number} is your own request: you can't offer help to yourself.",
        "it": "La #{number} è una tua richiesta: non puoi offrire aiuto a te stesso.",
    },
    "skills.offer_taken": {
        "en": "{name} already offered to help with #{number}. Thanks anyway!",
        "it": "{name} ha già offerto aiuto per la #{number}. Grazie comunque!",
    },
    "skills.offer_yours_already": {
        "en": "You already offered to help with #{number}.",
        "it": "Hai già offerto aiuto per la #{number}.",
    },
    "skills.offer_done": {
        "en": (
            "Thank you, {name}! #{number} ({skill}) is yours. Reach {requester}: {reach}.\n"
            "When it is solved, send {done}."
        ),
        "it": (
            "Grazie, {name}! La #{number} ({skill}) è tua. Contatta {requester}: {reach}.\n"
            "Quando è risolta, scrivi {done}."
        ),
    },
    "skills.offer_to_requester": {
        "en": "🤝 {helper} will help you with #{number} ({skill}). Reach them: {reach}.",
        "it": "🤝 {helper} ti aiuterà con la #{number} ({skill}). Contattalo: {reach}.",
    },
    "skills.reach_group": {
        "en": "write to them in the group",
        "it": "scrivigli nel gruppo",
    },
    "skills.done_not_yours": {
        "en": "Only whoever asked #{number} or is helping with it can mark it solved.",
        "it": "Solo chi ha chiesto la #{number} o chi sta aiutando può segnarla risolta.",
    },
    "skills.done_by_requester": {
        "en": "#{number} is solved. 🎉",
        "it": "La #{number} è risolta. 🎉",
    },
    "skills.done_thank_hint": {
        "en": "Thank {helper} with {thanks}.",
        "it": "Ringrazia {helper} con {thanks}.",
    },
    "skills.done_tell_helper": {
        "en": "{requester} marked #{number} ({skill}) as solved. Thank you for helping!",
        "it": "{requester} ha segnato la #{number} ({skill}) come risolta. Grazie dell'aiuto!",
    },
    "skills.done_by_helper": {
        "en": "#{number} is solved, and I told {requester}. Thank you for helping!",
        "it": "La #{number} è risolta e l'ho detto a {requester}. Grazie dell'aiuto!",
    },
    "skills.done_tell_requester": {
        "en": (
            "{helper} marked your request #{number} ({skill}) as solved. Thank them with {thanks}."
        ),
        "it": (
            "{helper} ha segnato la tua richiesta #{number} ({skill}) come risolta. "
            "Ringrazialo con {thanks}."
        ),
    },
    "skills.thanks_not_yours": {
        "en": "Only whoever asked #{number} can thank for it.",
        "it": "Solo chi ha chiesto la #{number} può ringraziare.",
    },
    "skills.thanks_no_helper": {
        "en": "Nobody has offered to help with #{number} yet, so there is nobody to thank.",
        "it": "Nessuno ha ancora offerto aiuto per la #{number}: non c'è nessuno da ringraziare.",
    },
    "skills.thanks_already": {
        "en": "You already thanked {helper} for #{number}.",
        "it": "Hai già ringraziato {helper} per la #{number}.",
    },
    "skills.thanks_done": {
        "en": "I passed your thanks to {helper}. 💐",
        "it": "Ho girato il tuo grazie a {helper}. 💐",
    },
    "skills.thanks_still_open": {
        "en": "If it is solved, close it with {done}.",
        "it": "Se è risolta, chiudila con {done}.",
    },
    "skills.thanks_to_helper": {
        "en": {
            "one": "💐 {requester} thanks you for #{number} ({skill}). You have {count} kudos.",
            "other": "💐 {requester} thanks you for #{number} ({skill}). You have {count} kudos.",
        },
        "it": {
            "one": "💐 {requester} ti ringrazia per la #{number} ({skill}). Hai {count} kudos.",
            "other": "💐 {requester} ti ringrazia per la #{number} ({skill}). Hai {count} kudos.",
        },
    },
    "skills.cancel_not_yours": {
        "en": "Only whoever asked #{number}, or an admin, can cancel it.",
        "it": "Solo chi ha chiesto la #{number}, o un amministratore, può annullarla.",
    },
    "skills.cancel_done": {
        "en": "#{number} is cancelled.",
        "it": "La #{number} è annullata.",
    },
    "skills.cancel_tell_helper": {
        "en": "#{number} ({skill}), which you offered to help with, was cancelled.",
        "it": "La #{number} ({skill}), per cui avevi offerto aiuto, è stata annullata.",
    },
    "skills.cancel_tell_requester": {
        "en": "{admin}, an admin, cancelled your request #{number} ({skill}).",
        "it": "{admin}, un amministratore, ha annullato la tua richiesta #{number} ({skill}).",
    },
    "skills.requests_none": {
        "en": "No request is waiting for help. Ask with {ask}.",
        "it": "Nessuna richiesta aspetta aiuto. Chiedi con {ask}.",
    },
    "skills.requests_title": {
        "en": "<b>Requests waiting for help</b>",
        "it": "<b>Richieste in attesa di aiuto</b>",
    },
    "skills.requests_line": {
        "en": "<b>#{number}</b> {skill}: {question}\n   {name}, {age}{taken}",
        "it": "<b>#{number}</b> {skill}: {question}\n   {name}, {age}{taken}",
    },
    "skills.requests_taken": {
        "en": " · {helper} is helping",
        "it": " · aiuta {helper}",
    },
    "skills.someone": {"en": "someone", "it": "qualcuno"},
    # -- jobs -------------------------------------------------------------------------
    "skills.escalation": {
        "en": (
            "🙋 Still no helper after {age}: {name} asks about <b>{skill}</b> "
            "(request <b>#{number}</b>):\n{question}\nCan you help? {offer}"
        ),
        "it": (
            "🙋 Ancora nessun aiuto dopo {age}: {name} chiede di <b>{skill}</b> "
            "(richiesta <b>#{number}</b>):\n{question}\nPuoi aiutare? {offer}"
        ),
    },
    "skills.escalated_requester": {
        "en": "Nobody has taken #{number} ({skill}) yet, so I asked every member.",
        "it": (
            "Nessuno ha ancora preso la #{number} ({skill}), quindi l'ho chiesto a tutti i membri."
        ),
    },
    "skills.expired_requester": {
        "en": {
            "one": (
                "Your request #{number} ({skill}) expired after {count} day. "
                "If you still need help, ask again with {ask}."
            ),
            "other": (
                "Your request #{number} ({skill}) expired after {count} days. "
                "If you still need help, ask again with {ask}."
            ),
        },
        "it": {
            "one": (
                "La tua richiesta #{number} ({skill}) è scaduta dopo {count} giorno. "
                "Se hai ancora bisogno, chiedi di nuovo con {ask}."
            ),
            "other": (
                "La tua richiesta #{number} ({skill}) è scaduta dopo {count} giorni. "
                "Se hai ancora bisogno, chiedi di nuovo con {ask}."
            ),
        },
    },
    "skills.expired_helper": {
        "en": "Request #{number} ({skill}), which you offered to help with, has expired.",
        "it": "La richiesta #{number} ({skill}), per cui avevi offerto aiuto, è scaduta.",
    },
}
