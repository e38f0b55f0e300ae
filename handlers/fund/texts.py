"""The common fund's messages, in English and Italian (kept apart: the catalog is long)."""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.fund": {"en": "Common fund", "it": "Cassa comune"},
    # -- help ---------------------------------------------------------------------------
    "cmd.fund": {
        "en": "the common fund: balance, this month, who owes what",
        "it": "la cassa comune: saldo, questo mese, chi deve cosa",
    },
    "cmd.treasurer": {
        "en": "who holds the common fund (admins: hand it to a member)",
        "it": "chi tiene la cassa comune (amministratori: affidarla a un membro)",
    },
    "usage.treasurer": {"en": "[<member>]", "it": "[<membro>]"},
    "cmd.bill": {
        "en": "record a bill paid from the fund; send the receipt's photo or PDF with it",
        "it": "registra una fattura pagata con la cassa; manda con il comando la foto"
        " o il PDF della ricevuta",
    },
    "usage.bill": {
        "en": "<cost id|name> <amount> [date] [note]",
        "it": "<id|nome della spesa> <importo> [data] [nota]",
    },
    "cmd.spent": {
        "en": "record something you paid for the group (the fund pays you back,"
        " or split it with for)",
        "it": "registra una spesa che hai pagato per il gruppo (la cassa te la restituisce,"
        " oppure dividila con for)",
    },
    "usage.spent": {
        "en": "<amount> <what> [for all|<member>, …]",
        "it": "<importo> <cosa> [for all|<membro>, …]",
    },
    "cmd.reimburse": {
        "en": "record that the fund paid a member back",
        "it": "registra un rimborso della cassa a un membro",
    },
    "usage.reimburse": {"en": "<member> [amount]", "it": "<membro> [importo]"},
    "cmd.settle": {
        "en": "the transfers that settle everyone up",
        "it": "i trasferimenti che pareggiano i conti di tutti",
    },
    "cmd.settled": {
        "en": "record a transfer of the settle-up plan (its Paid button)",
        "it": "registra un trasferimento del piano per pareggiare (il pulsante Pagato)",
    },
    "usage.settled": {
        "en": "<payer|fund> <payee|fund> <amount>",
        "it": "<chi paga|fund> <chi riceve|fund> <importo>",
    },
    "cmd.receipt": {
        "en": "a receipt kept with a bill or an expense, as a file",
        "it": "una ricevuta conservata con una fattura o una spesa, come file",
    },
    "usage.receipt": {"en": "<n>", "it": "<n>"},
    "cmd.set_iban": {
        "en": "the IBAN members pay their shares to",
        "it": "l'IBAN su cui i membri pagano le quote",
    },
    "usage.set_iban": {"en": "<IBAN>|off", "it": "<IBAN>|off"},
    "cmd.set_payee": {
        "en": "the name the IBAN's account is in",
        "it": "il nome a cui è intestato il conto dell'IBAN",
    },
    "usage.set_payee": {"en": "<name>|off", "it": "<nome>|off"},
    "cmd.set_qr": {
        "en": "a payment QR code (EPC, for banking apps) with every share, in euros",
        "it": "un codice QR di pagamento (EPC, per le app delle banche) con ogni quota, in euro",
    },
    "usage.set_qr": {"en": "on|off", "it": "on|off"},
    "cmd.export_fund": {
        "en": "the fund's ledger as a CSV file",
        "it": "il libro cassa in un file CSV",
    },
    "usage.export_fund": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    "button.fund_paid": {"en": "Paid {n}", "it": "Pagato {n}"},
    "button.received": {"en": "Received", "it": "Ricevuto"},
    "button.reimbursed": {"en": "Paid back", "it": "Rimborsato"},
    # -- the treasurer ------------------------------------------------------------------
    "treasurer.shown": {
        "en": "{name} holds the common fund ({balance}).",
        "it": "La cassa comune ({balance}) è nelle mani di {name}.",
    },
    "treasurer.default": {
        "en": "{name} holds the common fund ({balance}) as the space's first admin."
        " Admins hand it to someone else with {command} followed by a name.",
        "it": "La cassa comune ({balance}) è nelle mani di {name}, come prima persona"
        " amministratrice dello spazio. Gli amministratori la affidano ad altri con {command}"
        " seguito da un nome.",
    },
    "treasurer.admins_only": {
        "en": "Only admins can hand the fund to someone.",
        "it": "Solo gli amministratori possono affidare la cassa a qualcuno.",
    },
    "treasurer.not_active": {
        "en": "{name} is not an active member: the fund needs someone who is.",
        "it": "{name} non è un membro attivo: la cassa va affidata a un membro attivo.",
    },
    "treasurer.already": {
        "en": "{name} already holds the fund.",
        "it": "La cassa è già nelle mani di {name}.",
    },
    "treasurer.set": {
        "en": "{name} now holds the common fund. Money to hand over: {balance}.",
        "it": "Ora la cassa comune è nelle mani di {name}. Denaro da consegnare: {balance}.",
    },
    "treasurer.notice": {
        "en": "{admin} handed you the common fund of {space} ({balance}). Record the bills"
        " you pay from it with {bill} and what you pay back with {reimburse}; {fund}"
        " shows where it stands.",
        "it": "{admin} ti ha affidato la cassa comune di {space} ({balance}). Registra le"
        " fatture che paghi con {bill} e i rimborsi con {reimburse}; {fund} mostra"
        " a che punto è.",
    },
    # -- payment details ------------------------------------------------------------------
    "iban.shape": {
        "en": "“{value}” is not an IBAN: two letters, two check digits, then the account"
        " (e.g. IT60 X054 2811 1010 0000 0123 456).",
        "it": "“{value}” non è un IBAN: due lettere, due cifre di controllo, poi il conto"
        " (per esempio IT60 X054 2811 1010 0000 0123 456).",
    },
    "iban.length": {
        "en": "That IBAN has {length} characters; an IBAN of {country} has {wanted}."
        " Check for a missing or extra digit.",
        "it": "Questo IBAN ha {length} caratteri; un IBAN di {country} ne ha {wanted}."
        " Controlla se manca o avanza una cifra.",
    },
    "iban.check": {
        "en": "That IBAN fails its check digits (ISO 13616 mod 97): a character is"
        " mistyped. Copy it again from the bank.",
        "it": "Questo IBAN non supera il controllo (ISO 13616 mod 97): c'è un carattere"
        " sbagliato. Ricopialo dalla banca.",
    },
    "iban.set": {
        "en": "Shares are now paid to {iban}.",
        "it": "Da ora le quote si pagano su {iban}.",
    },
    "iban.set_payee_too": {
        "en": "Shares are now paid to {iban}. Say whose account it is with {command}.",
        "it": "Da ora le quote si pagano su {iban}. Indica a chi è intestato con {command}.",
    },
    "iban.off": {
        "en": "No IBAN any more: share messages carry no bank details.",
        "it": "Nessun IBAN: i messaggi delle quote non riportano più coordinate bancarie.",
    },
    "payee.bad": {
        "en": "The payee needs a name with letters, at most {limit} characters.",
        "it": "L'intestatario vuole un nome con delle lettere, al massimo {limit} caratteri.",
    },
    "payee.set": {
        "en": "Shares are now paid to {payee}.",
        "it": "Da ora le quote si pagano a {payee}.",
    },
    "payee.off": {"en": "No payee any more.", "it": "Nessun intestatario."},
    "qr.needs": {
        "en": "A payment QR code needs an IBAN ({iban}) and a payee ({payee}) first.",
        "it": "Per il codice QR di pagamento servono prima un IBAN ({iban}) e un"
        " intestatario ({payee}).",
    },
    "qr.euro_only": {
        "en": "The EPC payment QR code exists for euros only; this space uses {currency}.",
        "it": "Il codice QR di pagamento EPC esiste solo per gli euro; questo spazio usa"
        " {currency}.",
    },
    "qr.bad": {
        "en": "Write on or off.",
        "it": "Scrivi on oppure off.",
    },
    "qr.on": {
        "en": "Every share message now comes with a payment QR code for banking apps.",
        "it": "Da ora ogni messaggio di quota arriva con un codice QR per le app delle banche.",
    },
    "qr.off": {
        "en": "Share messages come without a QR code.",
        "it": "I messaggi delle quote arrivano senza codice QR.",
    },
    "pay.details": {
        "en": "Pay to {iban}, {payee}, reference <code>{reference}</code>.",
        "it": "Paga su {iban}, intestato a {payee}, causale <code>{reference}</code>.",
    },
    "pay.details_no_payee": {
        "en": "Pay to {iban}, reference <code>{reference}</code>.",
        "it": "Paga su {iban}, causale <code>{reference}</code>.",
    },
    # -- bills ------------------------------------------------------------------------------
    "money.not_allowed": {
        "en": "Only the treasurer ({name}) or an admin can do that.",
        "it": "Solo chi tiene la cassa ({name}) o un amministratore può farlo.",
    },
    "bill.need_amount": {
        "en": "Write the cost and the amount, e.g. {example}.",
        "it": "Scrivi la spesa e l'importo, per esempio {example}.",
    },
    "bill.no_cost": {
        "en": "There is no cost “{ref}”: a bill pays one of the costs {costs} lists.",
        "it": "Non c'è nessuna spesa “{ref}”: una fattura paga una delle spese elencate"
        " da {costs}.",
    },
    "bill.future": {
        "en": "{day} has not come yet: record a bill once it is paid.",
        "it": "Il {day} non è ancora arrivato: registra la fattura quando è pagata.",
    },
    "bill.done": {
        "en": "Bill #{id}: {amount} paid from the fund for <b>{name}</b> on {day}."
        " Fund balance: {balance}.",
        "it": "Fattura #{id}: {amount} pagati con la cassa per <b>{name}</b> il {day}."
        " Saldo della cassa: {balance}.",
    },
    "bill.negative": {
        "en": "⚠️ The fund is below zero: whoever paid is out of pocket until members pay in.",
        "it": "⚠️ La cassa è sotto zero: chi ha pagato ha anticipato di tasca propria finché"
        " i membri non versano.",
    },
    "receipt.kept": {
        "en": "Receipt #{id} kept ({name}).",
        "it": "Ricevuta #{id} conservata ({name}).",
    },
    "receipt.not_kind": {
        "en": "The file sent with it is not a photo or a PDF ({kind}): nothing was recorded."
        " Send the receipt as a photo or a PDF.",
        "it": "Il file inviato non è una foto né un PDF ({kind}): non ho registrato nulla."
        " Manda la ricevuta come foto o come PDF.",
    },
    "receipt.too_big": {
        "en": "The file sent with it is over {limit} MB: nothing was recorded. Send a"
        " smaller photo or PDF.",
        "it": "Il file inviato supera {limit} MB: non ho registrato nulla. Manda una foto"
        " o un PDF più piccoli.",
    },
    "receipt.unreadable": {
        "en": "I could not fetch the file sent with it: nothing was recorded. Send it again.",
        "it": "Non riesco a scaricare il file inviato: non ho registrato nulla. Mandalo di nuovo.",
    },
    "receipt.not_found": {
        "en": "There is no receipt #{id}.",
        "it": "Non c'è nessuna ricevuta #{id}.",
    },
    "receipt.sent": {
        "en": "Receipt #{id}: {what}, {day}.",
        "it": "Ricevuta #{id}: {what}, {day}.",
    },
    # -- expenses members front -------------------------------------------------------------
    "spent.need_what": {
        "en": "Say what it was after the amount, e.g. {example}.",
        "it": "Di' cos'era dopo l'importo, per esempio {example}.",
    },
    "spent.bad_for": {
        "en": "After for, write all or members separated by commas (for Bruno, Carla).",
        "it": "Dopo for scrivi all oppure dei membri separati da virgole (for Bruno, Carla).",
    },
    "spent.only_you": {
        "en": "Split only with yourself, it is nobody else's: leave out for, and the fund"
        " pays you back.",
        "it": "Divisa solo con te non riguarda nessun altro: togli for, e la cassa te la"
        " restituisce.",
    },
    "spent.future": {
        "en": "Record an expense once it is paid.",
        "it": "Registra una spesa quando è pagata.",
    },
    "spent.fund": {
        "en": "Noted #{id}: you paid {amount} for the group ({what}). The fund owes it to"
        " you; {treasurer} pays you back.",
        "it": "Preso nota #{id}: hai pagato {amount} per il gruppo ({what}). La cassa te lo"
        " deve; {treasurer} te lo restituisce.",
    },
    "spent.fund_self": {
        "en": "Noted #{id}: you paid {amount} for the group ({what}). As the treasurer, take"
        " it from the fund and record it with {command}.",
        "it": "Preso nota #{id}: hai pagato {amount} per il gruppo ({what}). Tieni tu la"
        " cassa: prendili da lì e registralo con {command}.",
    },
    "spent.split": {
        "en": "Noted #{id}: you paid {amount} for {what}, split among {count}: {parts}."
        " {settle} shows who pays whom.",
        "it": "Preso nota #{id}: hai pagato {amount} per {what}, diviso fra {count}: {parts}."
        " {settle} mostra chi paga chi.",
    },
    "spent.part": {"en": "{name} {amount}", "it": "{name} {amount}"},
    "spent.to_treasurer": {
        "en": "{member} paid {amount} for the group ({what}): the fund owes it to them."
        " When you have paid it back, press the button or send {command}.",
        "it": "{member} ha pagato {amount} per il gruppo ({what}): la cassa glielo deve."
        " Quando l'hai restituito, premi il pulsante o scrivi {command}.",
    },
    "spent.your_part": {
        "en": "{member} paid {amount} for {what}; your part is <b>{part}</b>."
        " {settle} shows how to settle up.",
        "it": "{member} ha pagato {amount} per {what}; la tua parte è <b>{part}</b>."
        " {settle} mostra come pareggiare.",
    },
    # -- reimbursements ---------------------------------------------------------------------
    "reimburse.nothing": {
        "en": "The fund owes {name} nothing.",
        "it": "La cassa non deve nulla a {name}.",
    },
    "reimburse.too_much": {
        "en": "The fund owes {name} {owed}, not more: nothing was recorded.",
        "it": "La cassa deve a {name} {owed}, non di più: non ho registrato nulla.",
    },
    "reimburse.done": {
        "en": "Recorded: the fund paid {name} {amount}. Fund balance: {balance}.",
        "it": "Registrato: la cassa ha pagato {amount} a {name}. Saldo della cassa: {balance}.",
    },
    "reimburse.shares": {
        "en": "{shares} of what the fund owed paid the open shares of {name}.",
        "it": "Con {shares} di quanto la cassa doveva sono pagate le quote aperte di {name}.",
    },
    "reimburse.notice": {
        "en": "{by} recorded that the fund paid you {amount}.",
        "it": "{by} ha registrato che la cassa ti ha pagato {amount}.",
    },
    # -- settling up -------------------------------------------------------------------------
    "settle.nothing": {
        "en": "Everyone is square: nothing to settle.",
        "it": "Conti in pari: non c'è nulla da saldare.",
    },
    "settle.title_fund": {
        "en": "<b>Settling up</b> through the common fund, held by {treasurer}:",
        "it": "<b>Per pareggiare i conti</b> tramite la cassa comune, nelle mani di {treasurer}:",
    },
    "settle.title_direct": {
        "en": {
            "one": "<b>Settling up</b>: {count} transfer brings everyone to zero.",
            "other": "<b>Settling up</b>: {count} transfers bring everyone to zero.",
        },
        "it": {
            "one": "<b>Per pareggiare i conti</b> basta {count} trasferimento.",
            "other": "<b>Per pareggiare i conti</b> bastano {count} trasferimenti.",
        },
    },
    "settle.line": {
        "en": "{n}. {payer} → {payee}: <b>{amount}</b>",
        "it": "{n}. {payer} → {payee}: <b>{amount}</b>",
    },
    "settle.fund_side": {"en": "the fund ({treasurer})", "it": "la cassa ({treasurer})"},
    "settle.treasurer_in": {
        "en": "{n}. {member} puts <b>{amount}</b> into the fund",
        "it": "{n}. {member} versa <b>{amount}</b> nella cassa",
    },
    "settle.treasurer_out": {
        "en": "{n}. {member} takes <b>{amount}</b> from the fund",
        "it": "{n}. {member} preleva <b>{amount}</b> dalla cassa",
    },
    "settle.yours_none": {
        "en": "You are square: nothing for you to pay or receive.",
        "it": "Sei in pari: non devi pagare né ricevere nulla.",
    },
    "settle.others": {
        "en": {
            "one": "… and {count} transfer between others.",
            "other": "… and {count} transfers between others.",
        },
        "it": {
            "one": "… e {count} trasferimento fra altri.",
            "other": "… e {count} trasferimenti fra altri.",
        },
    },
    "settle.more": {
        "en": {"one": "… and {count} more.", "other": "… and {count} more."},
        "it": {"one": "… e un altro.", "other": "… e altri {count}."},
    },
    "settle.declared": {
        "en": {
            "one": "{count} declared payment still waits for an admin: it counts as unpaid"
            " here until confirmed.",
            "other": "{count} declared payments still wait for an admin: they count as"
            " unpaid here until confirmed.",
        },
        "it": {
            "one": "{count} pagamento dichiarato aspetta ancora un amministratore: qui conta"
            " come non pagato finché non è confermato.",
            "other": "{count} pagamenti dichiarati aspettano ancora un amministratore: qui"
            " contano come non pagati finché non sono confermati.",
        },
    },
    "settle.hint": {
        "en": "Once the money has changed hands, press its Paid button (or send {settled}).",
        "it": "Quando il denaro è passato di mano, premi il suo pulsante Pagato (o scrivi"
        " {settled}).",
    },
    "settled.bad_side": {
        "en": "“{value}” is neither a member nor fund.",
        "it": "“{value}” non è né un membro né fund.",
    },
    "settled.stale": {
        "en": "That transfer is not in the plan any more (already recorded, or the accounts"
        " changed): {settle} shows the plan as it is now.",
        "it": "Questo trasferimento non è più nel piano (già registrato, o i conti sono"
        " cambiati): {settle} mostra il piano di adesso.",
    },
    "settled.too_much": {
        "en": "The plan has {amount} for that transfer, not more: nothing was recorded.",
        "it": "Il piano prevede {amount} per questo trasferimento, non di più: non ho"
        " registrato nulla.",
    },
    "settled.done": {
        "en": "Recorded: {payer} paid {payee} {amount}.",
        "it": "Registrato: {payer} ha pagato {amount} a {payee}.",
    },
    "settled.remaining": {
        "en": "Still to settle between them: {amount}.",
        "it": "Resta da saldare fra le due parti: {amount}.",
    },
    "settled.asked": {
        "en": "Thank you! {receiver} records it once the money has arrived.",
        "it": "Grazie! {receiver} lo registra appena riceve il denaro.",
    },
    "settled.ask_receiver": {
        "en": "{payer} says they paid {payee} {amount} to settle up. Once the money is"
        " there, press Received or send {command}.",
        "it": "{payer} dice di aver pagato {amount} a {payee} per pareggiare i conti."
        " Appena il denaro è arrivato, premi Ricevuto o scrivi {command}.",
    },
    "settled.not_yours": {
        "en": "Only {receiver}, the treasurer or an admin can record this transfer.",
        "it": "Solo {receiver}, chi tiene la cassa o un amministratore può registrare"
        " questo trasferimento.",
    },
    "settled.notice": {
        "en": "{by} recorded that {payer} paid {payee} {amount}.",
        "it": "{by} ha registrato che {payer} ha pagato {amount} a {payee}.",
    },
    # -- the fund at a glance ---------------------------------------------------------------
    "fund.title": {
        "en": "<b>Common fund of {space}</b>",
        "it": "<b>Cassa comune di {space}</b>",
    },
    "fund.balance": {
        "en": "Balance: <b>{balance}</b>, held by {treasurer}.",
        "it": "Saldo: <b>{balance}</b>, nelle mani di {treasurer}.",
    },
    "fund.month": {
        "en": "{month}: {income} in, {spending} out.",
        "it": "{month}: entrate {income}, uscite {spending}.",
    },
    "fund.owes": {
        "en": "The fund owes members {amount}; members owe the fund {owed}.",
        "it": "La cassa deve ai membri {amount}; i membri devono alla cassa {owed}.",
    },
    "fund.you_owe": {"en": "You owe the fund {amount}.", "it": "Devi alla cassa {amount}."},
    "fund.owes_you": {"en": "The fund owes you {amount}.", "it": "La cassa ti deve {amount}."},
    "fund.you_square": {
        "en": "You are square with the fund.",
        "it": "Sei in pari con la cassa.",
    },
    "fund.members": {"en": "\n<b>Members</b>", "it": "\n<b>Membri</b>"},
    "fund.member_owes": {"en": "{member} owes {amount}", "it": "{member} deve {amount}"},
    "fund.member_owed": {
        "en": "{member} is owed {amount}",
        "it": "{member} ha un credito di {amount}",
    },
    "fund.outside": {"en": "{amount} outside the fund", "it": "{amount} fuori cassa"},
    "fund.latest": {"en": "\n<b>Latest movements</b>", "it": "\n<b>Ultimi movimenti</b>"},
    "fund.yours": {"en": "\n<b>Your movements</b>", "it": "\n<b>I tuoi movimenti</b>"},
    "fund.line": {"en": "{day} {what}: {amount}", "it": "{day} {what}: {amount}"},
    "fund.line_receipt": {
        "en": "{day} {what}: {amount} (receipt #{receipt})",
        "it": "{day} {what}: {amount} (ricevuta #{receipt})",
    },
    "fund.footer": {
        "en": "\n{settle}: who pays whom. {receipt} &lt;n&gt;: a receipt. {export}: everything.",
        "it": "\n{settle}: chi paga chi. {receipt} &lt;n&gt;: una ricevuta. {export}: tutto.",
    },
    "fund.footer_member": {
        "en": "\n{settle}: who pays whom. {receipt} &lt;n&gt;: a receipt.",
        "it": "\n{settle}: chi paga chi. {receipt} &lt;n&gt;: una ricevuta.",
    },
    "what.bill": {"en": "bill for {name}", "it": "fattura per {name}"},
    "what.payment": {"en": "{member}, share of {name}", "it": "{member}, quota di {name}"},
    "what.spent": {"en": "{member} paid: {note}", "it": "{member} ha pagato: {note}"},
    "what.spent_split": {
        "en": "{member} paid: {note}, split among {count}",
        "it": "{member} ha pagato: {note}, diviso fra {count}",
    },
    "what.reimburse": {"en": "paid back to {member}", "it": "rimborso a {member}"},
    "what.deposit": {"en": "paid in by {member}", "it": "versamento di {member}"},
    "what.transfer": {"en": "{member} paid {other}", "it": "{member} ha pagato {other}"},
    "what.opening": {"en": "balance brought forward", "it": "saldo riportato"},
    # -- export ------------------------------------------------------------------------------
    "fund.export.none": {
        "en": "The fund has no movements yet.",
        "it": "La cassa non ha ancora movimenti.",
    },
    "fund.export.done": {
        "en": {
            "one": "The fund's ledger, {scope}: {count} movement; balance {balance}.",
            "other": "The fund's ledger, {scope}: {count} movements; balance {balance}.",
        },
        "it": {
            "one": "Il libro cassa, {scope}: {count} movimento; saldo {balance}.",
            "other": "Il libro cassa, {scope}: {count} movimenti; saldo {balance}.",
        },
    },
}
