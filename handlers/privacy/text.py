"""Every message of the privacy capability, in Italian and English."""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.privacy": {"en": "Your data", "it": "I tuoi dati"},
    "cmd.link": {
        "en": "join your accounts on two platforms (Telegram, Matrix) into one member",
        "it": "unisce i tuoi account su due piattaforme (Telegram, Matrix) in un solo membro",
    },
    "usage.link": {"en": "[code]", "it": "[codice]"},
    "cmd.myexport": {
        "en": "everything I keep about you, as a file",
        "it": "tutto quello che so di te, in un file",
    },
    "cmd.forgetme": {
        "en": "erase your personal data (asks for confirmation)",
        "it": "cancella i tuoi dati personali (chiede conferma)",
    },
    "usage.forgetme": {"en": "[confirm]", "it": "[confirm]"},
    "button.forgetme": {"en": "Yes, forget me", "it": "Sì, dimenticami"},
    "link.code": {
        "en": (
            "Your code: <code>{code}</code>\n"
            "From your other account (Telegram or Matrix), send me privately {command} "
            "within {minutes} minutes. It works once, and only for you in <b>{space}</b>."
        ),
        "it": (
            "Il tuo codice: <code>{code}</code>\n"
            "Dal tuo altro account (Telegram o Matrix) mandami in privato {command} "
            "entro {minutes} minuti. Vale una volta sola, e solo per te in <b>{space}</b>."
        ),
    },
    "link.bad_code": {
        "en": (
            "This code does not work: it may be mistyped, used already, or older than "
            "{minutes} minutes. Ask for a new one with {link} from the account you are "
            "a member with."
        ),
        "it": (
            "Questo codice non funziona: forse è scritto male, già usato o più vecchio di "
            "{minutes} minuti. Chiedine uno nuovo con {link} dall'account con cui sei membro."
        ),
    },
    "link.same_account": {
        "en": "Send the code from your <i>other</i> account, not from this one.",
        "it": "Manda il codice dal tuo <i>altro</i> account, non da questo.",
    },
    "link.already": {
        "en": "This account is already linked to you in <b>{space}</b>.",
        "it": "Questo account è già collegato a te in <b>{space}</b>.",
    },
    "link.platform_taken": {
        "en": (
            "You already have a {platform} account linked in <b>{space}</b>; "
            "a member has one account per platform."
        ),
        "it": (
            "Hai già un account {platform} collegato in <b>{space}</b>; "
            "un membro ha un account per piattaforma."
        ),
    },
    "link.done": {
        "en": (
            "Linked: this account and your {platform} account are now one member of "
            "<b>{space}</b>, {name}. Your visits, skills and requests are together."
        ),
        "it": (
            "Collegato: questo account e il tuo account {platform} ora sono un solo membro "
            "di <b>{space}</b>, {name}. Visite, competenze e richieste sono riunite."
        ),
    },
    "link.notice": {
        "en": (
            "The {platform} account {account} is now linked to you in <b>{space}</b>. "
            "If that was not you, tell an admin at once."
        ),
        "it": (
            "L'account {platform} {account} ora è collegato a te in <b>{space}</b>. "
            "Se non sei stato tu, avvisa subito un amministratore."
        ),
    },
    "platform.telegram": {"en": "Telegram", "it": "Telegram"},
    "platform.matrix": {"en": "Matrix", "it": "Matrix"},
    "platform.console": {"en": "console", "it": "console"},
    "platform.memory": {"en": "test", "it": "test"},
    "myexport.done": {
        "en": (
            "Here is everything I keep about you, as JSON: your membership in {spaces}, "
            "your accounts, visits, planned days, skills, help requests, kudos, cost shares "
            "and payments."
        ),
        "it": (
            "Ecco tutto quello che so di te, in JSON: la tua iscrizione a {spaces}, "
            "i tuoi account, visite, giorni previsti, competenze, richieste di aiuto, kudos, "
            "quote delle spese e pagamenti."
        ),
    },
    "forgetme.nothing": {
        "en": "I keep nothing about you: you are not a member of any space.",
        "it": "Non conservo nulla su di te: non sei membro di nessuno spazio.",
    },
    "forgetme.last_admin": {
        "en": (
            "You are the only admin of {spaces}: make someone else admin with {promote} "
            "first, then ask again."
        ),
        "it": (
            "Sei l'unico amministratore di {spaces}: prima nomina un altro amministratore "
            "con {promote}, poi chiedimelo di nuovo."
        ),
    },
    "forgetme.ask": {
        "en": (
            "<b>Forget you?</b> In {spaces} I will erase your name, your accounts, skills, "
            "visit notes, planned days and the texts of your help requests, and cancel "
            "your open requests. What the accounts need stays, under an anonymous number: "
            "your visits are counted, your cost shares and payments kept. This cannot be "
            "undone; you can join again later as a new member.\n"
            "To go on, press the button or send {confirm}."
        ),
        "it": (
            "<b>Vuoi che ti dimentichi?</b> In {spaces} cancellerò il tuo nome, i tuoi "
            "account, le competenze, le note delle visite, i giorni previsti e i testi delle "
            "tue richieste di aiuto, e annullerò le richieste aperte. Quello che serve ai "
            "conti resta, sotto un numero anonimo: le visite contate, le quote e i pagamenti. "
            "Non si può annullare; potrai iscriverti di nuovo come nuovo membro.\n"
            "Per procedere premi il pulsante o scrivi {confirm}."
        ),
    },
    "forgetme.done": {
        "en": (
            "Done: I have forgotten you. This is my last message to you; "
            "if you want to come back one day, send {join} in the group."
        ),
        "it": (
            "Fatto: ti ho dimenticato. Questo è il mio ultimo messaggio per te; "
            "se un giorno vorrai tornare, scrivi {join} nel gruppo."
        ),
    },
}
