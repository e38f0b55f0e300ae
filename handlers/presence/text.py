"""Every message of the presence capability, in Italian and English."""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.presence": {"en": "Presence", "it": "Presenze"},
    "cmd.checkin": {"en": "you are at the space now", "it": "sei allo spazio adesso"},
    "usage.checkin": {"en": "[note]", "it": "[nota]"},
    "cmd.checkout": {"en": "you are leaving", "it": "stai andando via"},
    "cmd.who": {
        "en": "who is in now, and who is coming today",
        "it": "chi c'è ora e chi arriva oggi",
    },
    "cmd.me": {
        "en": "your days and hours this month and last",
        "it": "i tuoi giorni e ore di questo mese e del precedente",
    },
    "cmd.stats": {
        "en": "days open, average and peak presence of a month",
        "it": "giorni di apertura, presenza media e massima di un mese",
    },
    "usage.stats": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    "cmd.going": {
        "en": "say you are coming on a day (today if none)",
        "it": "annuncia che verrai in un giorno (oggi se non lo dici)",
    },
    "usage.going": {"en": "[date]", "it": "[data]"},
    "cmd.notgoing": {
        "en": "take back a day you said you were coming",
        "it": "ritira un giorno in cui avevi detto di venire",
    },
    "usage.notgoing": {"en": "[date]", "it": "[data]"},
    "cmd.privacy": {
        "en": "whether /who shows you by name or only counts you (public: the web too)",
        "it": "se /who ti mostra per nome o ti conta soltanto (public: anche sul web)",
    },
    "usage.privacy": {"en": "[visible|hidden|public]", "it": "[visible|hidden|public]"},
    "cmd.export_attendance": {
        "en": "the visits of a month as a CSV file",
        "it": "le presenze di un mese come file CSV",
    },
    "usage.export_attendance": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    # checkin
    "checkin.done": {
        "en": "Welcome, {name}: you are in since {time}.",
        "it": "Benvenuto, {name}: sei dentro dalle {time}.",
    },
    "checkin.count": {
        "en": {"one": "You are the first one in.", "other": "{count} people are in now."},
        "it": {"one": "Sei il primo ad arrivare.", "other": "Ora ci sono {count} persone."},
    },
    "checkin.desks_left": {
        "en": {"one": "{count} desk left.", "other": "{count} desks left."},
        "it": {"one": "Resta {count} postazione.", "other": "Restano {count} postazioni."},
    },
    "checkin.last_desk": {
        "en": "You took the last desk: the space is now full.",
        "it": "Hai preso l'ultima postazione: ora lo spazio è pieno.",
    },
    "checkin.full": {
        "en": "The space is full: {count} people for {capacity} desks. Your visit is recorded.",
        "it": "Lo spazio è pieno: {count} persone per {capacity} postazioni. "
        "La tua presenza è registrata.",
    },
    "checkin.already": {
        "en": "You are already in since {time}.",
        "it": "Sei già dentro dalle {time}.",
    },
    "presence.announce": {"en": "{name} is in.", "it": "{name} è arrivato."},
    "presence.announce_note": {
        "en": "{name} is in: <i>{note}</i>",
        "it": "{name} è arrivato: <i>{note}</i>",
    },
    # checkout
    "checkout.done": {
        "en": "Bye {name}: you stayed {duration} ({start}–{end}).",
        "it": "Ciao {name}: sei rimasto {duration} ({start}–{end}).",
    },
    "checkout.not_in": {
        "en": "You are not checked in. Send {checkin} when you arrive.",
        "it": "Non risulti dentro. Scrivi {checkin} quando arrivi.",
    },
    "checkout.was_closed.closing": {
        "en": "I had already checked you out at closing time, {time}: you stayed {duration}.",
        "it": "Ti avevo già fatto uscire all'orario di chiusura, alle {time}: "
        "sei rimasto {duration}.",
    },
    "checkout.was_closed.midnight": {
        "en": "Your visit of {day} was closed at {time}, the end of that day: "
        "it counts {duration}.",
        "it": "La tua presenza di {day} è stata chiusa alle {time}, a fine giornata: "
        "conta {duration}.",
    },
    # what the closing job tells a member
    "notice.closing": {
        "en": "It is closing time at {space}: I checked you out at {time}. You stayed {duration}.",
        "it": "È l'orario di chiusura di {space}: ti ho fatto uscire alle {time}. "
        "Sei rimasto {duration}.",
    },
    "notice.midnight": {
        "en": "Your visit at {space} on {day} was still open at the end of the day: "
        "I closed it at {time} ({duration}). If you are still there, check in again.",
        "it": "La tua presenza a {space} di {day} era ancora aperta a fine giornata: "
        "l'ho chiusa alle {time} ({duration}). Se sei ancora lì, fai di nuovo il check-in.",
    },
    # who
    "who.nobody": {"en": "Nobody is in right now.", "it": "Al momento non c'è nessuno."},
    "who.title": {
        "en": {"one": "<b>{count} person in</b>", "other": "<b>{count} people in</b>"},
        "it": {"one": "<b>{count} persona dentro</b>", "other": "<b>{count} persone dentro</b>"},
    },
    "who.title_capacity": {
        "en": {
            "one": "<b>{count} person in</b> ({capacity} desks)",
            "other": "<b>{count} people in</b> ({capacity} desks)",
        },
        "it": {
            "one": "<b>{count} persona dentro</b> ({capacity} postazioni)",
            "other": "<b>{count} persone dentro</b> ({capacity} postazioni)",
        },
    },
    "who.line": {"en": "{name} — since {time}", "it": "{name} — dalle {time}"},
    "who.line_note": {
        "en": "{name} — since {time} — <i>{note}</i>",
        "it": "{name} — dalle {time} — <i>{note}</i>",
    },
    "who.hidden": {
        "en": {
            "one": "({count} person prefers not to be named)",
            "other": "({count} people prefer not to be named)",
        },
        "it": {
            "one": "({count} persona preferisce non essere nominata)",
            "other": "({count} persone preferiscono non essere nominate)",
        },
    },
    "who.planned_title": {"en": "<b>Coming today</b>", "it": "<b>Arrivano oggi</b>"},
    "presence.others": {
        "en": {"one": "{count} more", "other": "{count} more"},
        "it": {"one": "un'altra persona", "other": "altre {count} persone"},
    },
    # me
    "me.title": {"en": "<b>Your presence</b>", "it": "<b>Le tue presenze</b>"},
    "me.line": {"en": "{month}: {days}, {duration}", "it": "{month}: {days}, {duration}"},
    "me.none": {"en": "{month}: no visits", "it": "{month}: nessuna presenza"},
    "me.days": {
        "en": {"one": "{count} day", "other": "{count} days"},
        "it": {"one": "{count} giorno", "other": "{count} giorni"},
    },
    "me.now": {"en": "You are in since {time}.", "it": "Sei dentro dalle {time}."},
    # stats
    "stats.title": {"en": "<b>{space} — {month}</b>", "it": "<b>{space} — {month}</b>"},
    "stats.none": {"en": "No visits in {month}.", "it": "Nessuna presenza in {month}."},
    "stats.days_open": {
        "en": {"one": "Open on {count} day", "other": "Open on {count} days"},
        "it": {"one": "Aperto {count} giorno", "other": "Aperto {count} giorni"},
    },
    "stats.average": {
        "en": "People per day: {average} on average",
        "it": "Persone al giorno: {average} in media",
    },
    "stats.peak": {
        "en": {
            "one": "Peak: {count} person on {day}",
            "other": "Peak: {count} people on {day}",
        },
        "it": {
            "one": "Massimo: {count} persona il {day}",
            "other": "Massimo: {count} persone il {day}",
        },
    },
    "stats.members_title": {"en": "<b>Days per member</b>", "it": "<b>Giorni per membro</b>"},
    "stats.member_line": {"en": "{name}: {days}", "it": "{name}: {days}"},
    "stats.members_private": {
        "en": "The days of each member are shown only in private: send me {stats} there.",
        "it": "I giorni di ciascun membro si vedono solo in privato: scrivimi {stats} lì.",
    },
    # going
    "going.done": {
        "en": "Noted: you are coming on {day}.",
        "it": "Segnato: verrai {day}.",
    },
    "going.also": {"en": "Also coming: {names}.", "it": "Vengono anche: {names}."},
    "going.already": {
        "en": "You had already said you are coming on {day}.",
        "it": "Avevi già detto che verrai {day}.",
    },
    "going.already_in": {
        "en": "You are already in today.",
        "it": "Sei già dentro oggi.",
    },
    "going.past": {
        "en": "{day} is in the past: pick today or a later day.",
        "it": "{day} è già passato: scegli oggi o un giorno successivo.",
    },
    "going.too_far": {
        "en": "That is too far ahead: plan at most {limit} days ahead.",
        "it": "È troppo in là: puoi programmare al massimo {limit} giorni avanti.",
    },
    "notgoing.done": {
        "en": "Okay: you are no longer expected on {day}.",
        "it": "Va bene: non sei più atteso {day}.",
    },
    "notgoing.none": {
        "en": "You had not said you were coming on {day}.",
        "it": "Non avevi detto che saresti venuto {day}.",
    },
    # privacy
    "privacy.now_visible": {
        "en": "Your presence is now shown by name.",
        "it": "Ora la tua presenza è mostrata con il tuo nome.",
    },
    "privacy.now_hidden": {
        "en": "Your presence is now hidden: who counts you without naming you, "
        "and your check-ins are not announced.",
        "it": "Ora la tua presenza è nascosta: chi c'è ti conta senza nominarti "
        "e i tuoi arrivi non vengono annunciati.",
    },
    "privacy.now_public": {
        "en": "Your presence is now public: members see your name, and so do the space's "
        "web page and its SpaceAPI, for anyone.",
        "it": "Ora la tua presenza è pubblica: i membri vedono il tuo nome, e anche la "
        "pagina web dello spazio e la sua SpaceAPI, per chiunque.",
    },
    "privacy.is_public": {
        "en": "Your presence is public, on the web too. To show it only to members: {command}",
        "it": "La tua presenza è pubblica, anche sul web. Per mostrarla solo ai membri: {command}",
    },
    "privacy.is_visible": {
        "en": "Your presence is shown by name. To hide it: {command}",
        "it": "La tua presenza è mostrata con il tuo nome. Per nasconderla: {command}",
    },
    "privacy.is_hidden": {
        "en": "Your presence is hidden. To show it: {command}",
        "it": "La tua presenza è nascosta. Per mostrarla: {command}",
    },
    # export
    "export.none": {
        "en": "No visits in {month}: nothing to export.",
        "it": "Nessuna presenza in {month}: niente da esportare.",
    },
    "export.done": {
        "en": {
            "one": "Attendance of {month}: {count} visit.",
            "other": "Attendance of {month}: {count} visits.",
        },
        "it": {
            "one": "Presenze di {month}: {count} visita.",
            "other": "Presenze di {month}: {count} visite.",
        },
    },
}
