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
        "it": "fa di questo gruppo un nuovo spazio, che amministri tu (admin della chat)",
    },
    "usage.setup": {"en": "[name]", "it": "[nome]"},
    "cmd.join": {"en": "become a member of this space", "it": "diventa membro di questo spazio"},
    "cmd.leave": {"en": "leave the space", "it": "lascia lo spazio"},
    "usage.leave": {"en": "[confirm]", "it": "[confirm]"},
    "cmd.approve": {"en": "accept a request to join", "it": "accetta una richiesta di iscrizione"},
    "usage.approve": {"en": "<member>", "it": "<membro>"},
    "cmd.reject": {
        "en": "turn down a request to join",
        "it": "rifiuta una richiesta di iscrizione",
    },
    "usage.reject": {"en": "<member>", "it": "<membro>"},
    "cmd.members": {
        "en": "who the members are, with their role",
        "it": "chi sono i membri, con il loro ruolo",
    },
    "cmd.remove": {
        "en": "remove a member from the space (asks for confirmation)",
        "it": "toglie un membro dallo spazio (chiede conferma)",
    },
    "usage.remove": {"en": "<member>", "it": "<membro>"},
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
        "en": "There is no command {command}. {help} lists them all.",
        "it": "Il comando {command} non esiste. {help} li elenca tutti.",
    },
    "help.group": {
        "en": "<b>{command}</b> has these commands:",
        "it": "<b>{command}</b> comprende questi comandi:",
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
            "Lo spazio <b>{space}</b> è pronto e lo amministri tu.\n"
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
        "it": "Ciao {name}, ora fai parte di {space}! Scrivi {help} per vedere cosa puoi fare.",
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
        "it": "Ora fai parte di {space}! Scrivi {help} per vedere cosa puoi fare.",
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
    "members.role.admin": {"en": "admin", "it": "admin"},
    "members.role.member": {"en": "member", "it": "membro"},
    "members.line_pending": {"en": "#{id} {name}{username}", "it": "#{id} {name}{username}"},
    "members.pending_title": {
        "en": "<b>Waiting for approval</b>",
        "it": "<b>In attesa di approvazione</b>",
    },
    "members.left_count": {
        "en": {"one": "and {count} who left", "other": "and {count} who left"},
        "it": {"one": "e {count} che ha lasciato", "other": "e {count} che hanno lasciato"},
    },
    "promote.already": {
        "en": "{name} is already an admin.",
        "it": "{name} ha già i permessi di amministrazione.",
    },
    "promote.not_active": {
        "en": "{name} is not an active member.",
        "it": "{name} non è un membro attivo.",
    },
    "promote.done": {
        "en": "{name} is now an admin.",
        "it": "{name} ora ha i permessi di amministrazione.",
    },
    "promote.notice": {
        "en": "You are now an admin of {space}.",
        "it": "Ora hai i permessi di amministrazione in {space}.",
    },
    "demote.not_admin": {
        "en": "{name} is not an admin.",
        "it": "{name} non ha i permessi di amministrazione.",
    },
    "demote.last_admin": {
        "en": "{name} is the last admin: promote someone else first.",
        "it": "{name} è l'unica persona con i permessi di amministrazione:"
        " prima promuovi qualcun altro.",
    },
    "demote.done": {
        "en": "{name} is now a plain member.",
        "it": "{name} ora è un membro semplice.",
    },
    "demote.notice": {
        "en": "You are no longer an admin of {space}; you are still a member.",
        "it": "Non hai più i permessi di amministrazione in {space}; resti membro.",
    },
    "leave.last_admin": {
        "en": "You are the last admin: promote someone else before leaving.",
        "it": "Hai gli unici permessi di amministrazione: promuovi qualcun altro prima di uscire.",
    },
    "leave.ask": {
        "en": "Leave <b>{space}</b>? To come back you will need an admin's approval."
        " To go on, press the button or send {confirm}.",
        "it": "Vuoi lasciare <b>{space}</b>? Per tornare ti servirà l'approvazione di un admin."
        " Per procedere premi il pulsante o scrivi {confirm}.",
    },
    "button.leave": {"en": "Yes, leave", "it": "Sì, esco"},
    "leave.not_yours": {
        "en": "That button is for {name}. To leave yourself, send {leave}.",
        "it": "Quel pulsante è per {name}. Per uscire tu, scrivi {leave}.",
    },
    "leave.done": {
        "en": "You left {space}. You can come back with {join}.",
        "it": "Hai lasciato {space}. Puoi tornare con {join}.",
    },
    "leave.owed": {
        "en": "What you owe stays to pay: {due} lists it.",
        "it": "Quello che devi resta da pagare: {due} lo elenca.",
    },
    "remove.self": {
        "en": "To leave the space yourself, send {leave}.",
        "it": "Per uscire tu dallo spazio, scrivi {leave}.",
    },
    "remove.pending": {
        "en": "{name} is not a member yet: {reject} turns the request down.",
        "it": "{name} non è ancora membro: {reject} rifiuta la richiesta.",
    },
    "remove.not_member": {
        "en": "{name} is not a member any more.",
        "it": "{name} non è più membro.",
    },
    "remove.ask": {
        "en": "Remove <b>{name}</b> from {space}? From today they are no longer charged,"
        " their open help requests are closed, and what they owe stays owed."
        " To go on, press the button or send {confirm}.",
        "it": "Vuoi togliere <b>{name}</b> da {space}? Da oggi non riceve più addebiti,"
        " le sue richieste di aiuto aperte si chiudono e quello che deve resta dovuto."
        " Per procedere premi il pulsante o scrivi {confirm}.",
    },
    "button.remove": {"en": "Yes, remove", "it": "Sì, togli"},
    "remove.done": {
        "en": "{name} is no longer a member of {space}: no more charges from today.",
        "it": "{name} non è più membro di {space}: da oggi niente più addebiti.",
    },
    "remove.requests": {
        "en": {
            "one": "{count} open help request closed.",
            "other": "{count} open help requests closed.",
        },
        "it": {
            "one": "{count} richiesta di aiuto aperta chiusa.",
            "other": "{count} richieste di aiuto aperte chiuse.",
        },
    },
    "remove.owed": {
        "en": "Still owed: {amount} ({balance} shows it).",
        "it": "Ancora da pagare: {amount} ({balance} lo mostra).",
    },
    "remove.notice": {
        "en": "An admin removed you from {space}. What you owe stays to pay: {due} lists it.",
        "it": "Un admin ti ha tolto da {space}. Quello che devi resta da pagare: {due} lo elenca.",
    },
    "left.notice_admins": {
        "en": "{name} left the group and is no longer a member of {space}.",
        "it": "{name} ha lasciato il gruppo e non è più membro di {space}.",
    },
    "lang.done": {"en": "I will speak English with you.", "it": "Ti parlerò in italiano."},
    "settings.title": {"en": "<b>Settings of {space}</b>", "it": "<b>Impostazioni di {space}</b>"},
    "settings.change": {
        "en": "Change one with {set} followed by a line above; {help} explains each.",
        "it": "Cambiane una con {set} seguito da una riga qui sopra; {help} le spiega tutte.",
    },
    "set.done": {"en": "Done: {setting}.", "it": "Fatto: {setting}."},
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
