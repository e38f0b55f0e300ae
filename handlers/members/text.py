"""Every message of the membership capability, in Italian and English."""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.members": {"en": "Membership", "it": "Iscrizione"},
    "cmd.start": {"en": "greeting and how to join", "it": "saluto e come iscriversi"},
    "cmd.help": {
        "en": "the commands you can use, or how to use one",
        "it": "i comandi che puoi usare, o come usarne uno",
    },
    "usage.help": {"en": "[command]", "it": "[comando]"},
    "cmd.setup": {
        "en": "make this group a new space, with you as its admin (chat admins)",
        "it": "fa di questo gruppo un nuovo spazio, con te come amministratore (admin della chat)",
    },
    "usage.setup": {"en": "[name]", "it": "[nome]"},
    "cmd.join": {"en": "become a member of this space", "it": "diventa membro di questo spazio"},
    "cmd.leave": {"en": "leave the space", "it": "lascia lo spazio"},
    "cmd.approve": {"en": "accept a request to join", "it": "accetta una richiesta di iscrizione"},
    "usage.approve": {"en": "<member>", "it": "<membro>"},
    "cmd.reject": {
        "en": "turn down a request to join",
        "it": "rifiuta una richiesta di iscrizione",
    },
    "usage.reject": {"en": "<member>", "it": "<membro>"},
    "cmd.members": {"en": "members with role and status", "it": "membri con ruolo e stato"},
    "cmd.promote": {"en": "make a member an admin", "it": "rende un membro amministratore"},
    "usage.promote": {"en": "<member>", "it": "<membro>"},
    "cmd.demote": {
        "en": "make an admin a plain member",
        "it": "rende un amministratore membro semplice",
    },
    "usage.demote": {"en": "<member>", "it": "<membro>"},
    "cmd.set": {"en": "change a setting of the space", "it": "cambia un'impostazione dello spazio"},
    "usage.set": {"en": "<setting> <value>", "it": "<impostazione> <valore>"},
    "cmd.settings": {"en": "the space's settings", "it": "le impostazioni dello spazio"},
    "cmd.lang": {"en": "the language I use with you", "it": "la lingua che uso con te"},
    "usage.lang": {"en": "it|en", "it": "it|en"},
    "cmd.space": {
        "en": "which space your private commands are about",
        "it": "a quale spazio si riferiscono i tuoi comandi privati",
    },
    "usage.space": {"en": "[name]", "it": "[nome]"},
    "help.title": {"en": "<b>What you can do</b>", "it": "<b>Cosa puoi fare</b>"},
    "help.private_mark": {"en": "(private)", "it": "(privato)"},
    "help.more": {
        "en": "Send {help} followed by a command to see how to use it.",
        "it": "Scrivi {help} seguito da un comando per vedere come si usa.",
    },
    "help.unknown": {
        "en": "There is no command {command}.",
        "it": "Il comando {command} non esiste.",
    },
    "help.who.anyone": {"en": "anyone", "it": "chiunque"},
    "help.who.member": {"en": "members", "it": "membri"},
    "help.who.admin": {"en": "admins", "it": "amministratori"},
    "help.who.chat_admin": {"en": "chat administrators", "it": "amministratori della chat"},
    "help.where.any": {"en": "anywhere", "it": "ovunque"},
    "help.where.group": {"en": "in the group", "it": "nel gruppo"},
    "help.where.private": {"en": "in private", "it": "in privato"},
    "help.detail": {
        "en": "{usage}\n{description}\nWho: {who}. Where: {where}.",
        "it": "{usage}\n{description}\nChi: {who}. Dove: {where}.",
    },
    "start.member": {
        "en": "Hi {name}! You are a member of <b>{space}</b>. Send {help} to see what you can do.",
        "it": "Ciao {name}! Sei membro di <b>{space}</b>. Scrivi {help} per vedere cosa puoi fare.",
    },
    "start.stranger": {
        "en": (
            "Hi! I run coworking spaces: who is in, help between members, shared costs.\n"
            "To join, send {join} in your community's group."
        ),
        "it": (
            "Ciao! Gestisco spazi di coworking: chi c'è, aiuto tra membri, spese comuni.\n"
            "Per iscriverti, scrivi {join} nel gruppo della tua comunità."
        ),
    },
    "setup.already": {
        "en": "This chat already belongs to the space <b>{space}</b>.",
        "it": "Questa chat appartiene già allo spazio <b>{space}</b>.",
    },
    "setup.done": {
        "en": (
            "The space <b>{space}</b> is ready and you are its admin.\n"
            "Members join with {join}; see the settings with {settings}."
        ),
        "it": (
            "Lo spazio <b>{space}</b> è pronto e tu ne sei l'amministratore.\n"
            "I membri si iscrivono con {join}; le impostazioni con {settings}."
        ),
    },
    "setup.bad_name": {
        "en": "A space name needs letters or digits, at most {limit} characters.",
        "it": "Il nome di uno spazio vuole lettere o cifre, al massimo {limit} caratteri.",
    },
    "join.no_space": {
        "en": "This chat is not set up yet. A chat administrator can send {setup}.",
        "it": "Questa chat non è ancora configurata. Un amministratore può scrivere {setup}.",
    },
    "join.already": {
        "en": "You are already a member of {space}.",
        "it": "Sei già membro di {space}.",
    },
    "join.still_pending": {
        "en": "Your request is still waiting for an admin.",
        "it": "La tua richiesta aspetta ancora un amministratore.",
    },
    "join.welcome": {
        "en": "Welcome to {space}, {name}! Send {help} to see what you can do.",
        "it": "Benvenuto in {space}, {name}! Scrivi {help} per vedere cosa puoi fare.",
    },
    "join.asked": {
        "en": "Thanks {name}: I asked the admins of {space} to approve you.",
        "it": "Grazie {name}: ho chiesto agli amministratori di {space} di approvarti.",
    },
    "join.request_to_admins": {
        "en": "{name} (#{id}) asks to join {space}. Answer with {approve} or {reject}.",
        "it": "{name} (#{id}) chiede di entrare in {space}. Rispondi con {approve} o {reject}.",
    },
    "button.approve": {"en": "Approve", "it": "Approva"},
    "button.reject": {"en": "Reject", "it": "Rifiuta"},
    "members.no_such_member": {
        "en": "Nobody matches “{ref}”. {members} lists everyone.",
        "it": "Nessuno corrisponde a “{ref}”. {members} li elenca tutti.",
    },
    "members.ambiguous": {
        "en": "“{ref}” could be {names}: use the #number.",
        "it": "“{ref}” potrebbe essere {names}: usa il #numero.",
    },
    "approve.not_pending": {
        "en": "{name} has no request waiting.",
        "it": "{name} non ha richieste in attesa.",
    },
    "approve.done": {
        "en": "{name} is now a member.",
        "it": "{name} ora è membro.",
    },
    "approve.welcome": {
        "en": "You are in: welcome to {space}! Send {help} to see what you can do.",
        "it": "Sei dentro: benvenuto in {space}! Scrivi {help} per vedere cosa puoi fare.",
    },
    "reject.done": {
        "en": "{name}'s request was turned down.",
        "it": "La richiesta di {name} è stata rifiutata.",
    },
    "reject.notice": {
        "en": "Your request to join {space} was not accepted.",
        "it": "La tua richiesta di entrare in {space} non è stata accettata.",
    },
    "members.title": {"en": "<b>Members of {space}</b>", "it": "<b>Membri di {space}</b>"},
    "members.line": {
        "en": "#{id} {name}{username} — {role}",
        "it": "#{id} {name}{username} — {role}",
    },
    "members.role.admin": {"en": "admin", "it": "amministratore"},
    "members.role.member": {"en": "member", "it": "membro"},
    "members.pending_title": {
        "en": "<b>Waiting for approval</b>",
        "it": "<b>In attesa di approvazione</b>",
    },
    "members.left_count": {
        "en": {"one": "and {count} who left", "other": "and {count} who left"},
        "it": {"one": "e {count} che ha lasciato", "other": "e {count} che hanno lasciato"},
    },
    "promote.already": {"en": "{name} is already an admin.", "it": "{name} è già amministratore."},
    "promote.not_active": {
        "en": "{name} is not an active member.",
        "it": "{name} non è un membro attivo.",
    },
    "promote.done": {"en": "{name} is now an admin.", "it": "{name} ora è amministratore."},
    "promote.notice": {
        "en": "You are now an admin of {space}.",
        "it": "Ora sei amministratore di {space}.",
    },
    "demote.not_admin": {"en": "{name} is not an admin.", "it": "{name} non è amministratore."},
    "demote.last_admin": {
        "en": "{name} is the last admin: promote someone else first.",
        "it": "{name} è l'ultimo amministratore: prima promuovi qualcun altro.",
    },
    "demote.done": {
        "en": "{name} is now a plain member.",
        "it": "{name} ora è un membro semplice.",
    },
    "leave.last_admin": {
        "en": "You are the last admin: promote someone else before leaving.",
        "it": "Sei l'ultimo amministratore: promuovi qualcun altro prima di uscire.",
    },
    "leave.done": {
        "en": "You left {space}. You can come back with {join}.",
        "it": "Hai lasciato {space}. Puoi tornare con {join}.",
    },
    "left.notice_admins": {
        "en": "{name} left the group and is no longer a member of {space}.",
        "it": "{name} ha lasciato il gruppo e non è più membro di {space}.",
    },
    "lang.done": {"en": "I will speak English with you.", "it": "Ti parlerò in italiano."},
    "settings.title": {"en": "<b>Settings of {space}</b>", "it": "<b>Impostazioni di {space}</b>"},
    "settings.none": {"en": "none", "it": "nessuno"},
    "settings.change": {
        "en": "Change one with {set}.",
        "it": "Cambiane una con {set}.",
    },
    "set.done": {"en": "{key} is now {value}.", "it": "{key} ora è {value}."},
    "set.bad.timezone": {
        "en": "“{value}” is not a time zone: use an IANA name like Europe/Rome.",
        "it": "“{value}” non è un fuso orario: usa un nome IANA come Europe/Rome.",
    },
    "set.bad.language": {
        "en": "The language must be it or en.",
        "it": "La lingua deve essere it o en.",
    },
    "set.bad.currency": {
        "en": "“{value}” is not a currency code like EUR or CHF.",
        "it": "“{value}” non è un codice di valuta come EUR o CHF.",
    },
    "set.bad.time": {
        "en": "“{value}” is not a time: write HH:MM, e.g. 20:00, or off.",
        "it": "“{value}” non è un orario: scrivi HH:MM, per esempio 20:00, oppure off.",
    },
    "set.bad.join": {
        "en": "join must be open or approval.",
        "it": "join deve essere open o approval.",
    },
    "set.bad.number": {
        "en": "{key} must be a whole number from {low} to {high}.",
        "it": "{key} deve essere un numero intero da {low} a {high}.",
    },
    "set.bad.hours": {
        "en": "“{value}” are not opening hours: write them like mon-fri 09:00-19:00; "
        "sat 10:00-13:00, or off.",
        "it": "“{value}” non sono orari di apertura: scrivili come lun-ven 09:00-19:00; "
        "sab 10:00-13:00, oppure off.",
    },
    "set.bad.name": {
        "en": "A space name needs letters or digits, at most {limit} characters.",
        "it": "Il nome di uno spazio vuole lettere o cifre, al massimo {limit} caratteri.",
    },
    "space.none": {
        "en": "You are not a member of any space yet.",
        "it": "Non sei ancora membro di nessuno spazio.",
    },
    "space.list": {
        "en": "Your private commands are about <b>{current}</b>. Your spaces: {spaces}.",
        "it": "I tuoi comandi privati riguardano <b>{current}</b>. I tuoi spazi: {spaces}.",
    },
    "space.switched": {
        "en": "Your private commands are now about <b>{space}</b>.",
        "it": "Ora i tuoi comandi privati riguardano <b>{space}</b>.",
    },
    "space.unknown": {
        "en": "You are not in a space called “{name}”.",
        "it": "Non sei in uno spazio chiamato “{name}”.",
    },
}
