"""The costs capability's messages, in English and Italian.

Kept apart from the commands only because the catalog is long; they change together.
"""

from __future__ import annotations

from bot.i18n import Catalog

MESSAGES: Catalog = {
    "section.costs": {"en": "Shared costs", "it": "Spese comuni"},
    # -- help ---------------------------------------------------------------------------
    "cmd.cost_add": {
        "en": "add a shared cost, recurring or one-off",
        "it": "aggiunge una spesa comune, ricorrente o una tantum",
    },
    "usage.cost_add": {
        "en": "<name> <amount> monthly <day>|yearly <dd-mm>|once <YYYY-MM-DD>"
        " [equal|attendance|shares]",
        "it": "<nome> <importo> monthly <giorno>|yearly <gg-mm>|once <AAAA-MM-GG>"
        " [equal|attendance|shares]",
    },
    "cmd.costs": {
        "en": "shared costs and their next due dates",
        "it": "spese comuni e prossime scadenze",
    },
    "cmd.cost_remove": {
        "en": "stop a cost (charges already made stay)",
        "it": "ferma una spesa (gli addebiti già fatti restano)",
    },
    "usage.cost_remove": {"en": "<id>", "it": "<id>"},
    "cmd.shares": {
        "en": "members' shares for costs split by shares",
        "it": "quote dei membri per le spese divise per quote",
    },
    "usage.shares": {"en": "[<member> <n>]", "it": "[<membro> <n>]"},
    "cmd.due": {"en": "what I owe, charge by charge", "it": "quanto devo, addebito per addebito"},
    "cmd.paid": {
        "en": "tell the admins you paid a charge (default: all of your share)",
        "it": "comunica agli amministratori che hai pagato un addebito (di base: tutta la quota)",
    },
    "usage.paid": {"en": "<charge> [amount]", "it": "<addebito> [importo]"},
    "cmd.confirm": {"en": "confirm a declared payment", "it": "conferma un pagamento dichiarato"},
    "usage.confirm": {"en": "<payment>", "it": "<pagamento>"},
    "cmd.balance": {
        "en": "who paid and who owes, charge by charge",
        "it": "chi ha pagato e chi deve, addebito per addebito",
    },
    "cmd.export_costs": {
        "en": "charges, shares and payments as a CSV file",
        "it": "addebiti, quote e pagamenti in un file CSV",
    },
    "usage.export_costs": {"en": "[YYYY-MM]", "it": "[AAAA-MM]"},
    "button.paid": {"en": "I paid", "it": "Ho pagato"},
    "button.confirm": {"en": "Confirm", "it": "Conferma"},
    # -- reading amounts and schedules -----------------------------------------------------
    "amount.bad": {
        "en": "“{value}” is not an amount: write e.g. 120, 120.50, 120,50 or €1.234,56.",
        "it": "“{value}” non è un importo: scrivi per esempio 120, 120,50, 120.50 o €1.234,56.",
    },
    "amount.not_positive": {
        "en": "The amount must be more than zero.",
        "it": "L'importo deve essere maggiore di zero.",
    },
    "amount.too_big": {
        "en": "{value} is more than 1,000,000: that cannot be right.",
        "it": "{value} supera 1.000.000: non può essere giusto.",
    },
    "amount.too_precise": {
        "en": "“{value}” has more decimals than {currency} allows.",
        "it": "“{value}” ha più decimali di quanti ne preveda {currency}.",
    },
    "cost.need_schedule": {
        "en": (
            "Say when it falls due: monthly &lt;day&gt;, yearly &lt;dd-mm&gt; or"
            " once &lt;YYYY-MM-DD&gt;."
        ),
        "it": (
            "Di' quando scade: monthly &lt;giorno&gt;, yearly &lt;gg-mm&gt; oppure"
            " once &lt;AAAA-MM-GG&gt;."
        ),
    },
    "cost.need_amount": {
        "en": "Write the amount after the name, e.g. Heating 120,50 monthly 31.",
        "it": "Scrivi l'importo dopo il nome, per esempio Riscaldamento 120,50 monthly 31.",
    },
    "cost.bad_name": {
        "en": "A cost needs a name with letters or digits, at most {limit} characters.",
        "it": "Una spesa vuole un nome con lettere o cifre, al massimo {limit} caratteri.",
    },
    "schedule.bad_day": {
        "en": "“{value}” is not a day of the month: write 1 to 31"
        " (29, 30 and 31 fall on the last day of shorter months).",
        "it": "“{value}” non è un giorno del mese: scrivi da 1 a 31"
        " (29, 30 e 31 cadono sull'ultimo giorno dei mesi più corti).",
    },
    "schedule.bad_yearly": {
        "en": "“{value}” is not a day of the year: write dd-mm, e.g. 15-01.",
        "it": "“{value}” non è un giorno dell'anno: scrivi gg-mm, per esempio 15-01.",
    },
    "schedule.past": {
        "en": "{value} is already past: a one-off cost needs today or a later date.",
        "it": "{value} è già passato: una spesa una tantum vuole oggi o una data futura.",
    },
    "split.unknown": {
        "en": "“{value}” is not a way to split: use equal, attendance or shares.",
        "it": "“{value}” non è un modo di dividere: usa equal, attendance o shares.",
    },
    # -- describing costs -----------------------------------------------------------------
    "schedule.monthly": {"en": "monthly on day {day}", "it": "ogni mese il giorno {day}"},
    "schedule.monthly_end": {
        "en": "monthly on day {day} (or the month's last day)",
        "it": "ogni mese il giorno {day} (o l'ultimo del mese)",
    },
    "schedule.yearly": {"en": "yearly on {day}", "it": "ogni anno il {day}"},
    "schedule.once": {"en": "once, on {day}", "it": "una volta, il {day}"},
    "split.equal": {"en": "split equally", "it": "divisa in parti uguali"},
    "split.attendance": {"en": "split by attendance", "it": "divisa per presenze"},
    "split.shares": {"en": "split by shares", "it": "divisa per quote"},
    "cost.duplicate": {
        "en": "There is already a cost called {name} (#{id}).",
        "it": "Esiste già una spesa chiamata {name} (#{id}).",
    },
    "cost.added": {
        "en": "Cost #{id} <b>{name}</b>: {amount}, {schedule}, {split}.\n"
        "First charge on {first}, for {period}.",
        "it": "Spesa #{id} <b>{name}</b>: {amount}, {schedule}, {split}.\n"
        "Primo addebito il {first}, per il periodo {period}.",
    },
    "costs.none": {
        "en": "No shared costs yet. Admins add one with {command}.",
        "it": "Ancora nessuna spesa comune. Gli amministratori ne aggiungono una con {command}.",
    },
    "costs.title": {"en": "<b>Shared costs</b>", "it": "<b>Spese comuni</b>"},
    "costs.line": {
        "en": "#{id} <b>{name}</b>: {amount}, {schedule}, {split}. Next: {next}.",
        "it": "#{id} <b>{name}</b>: {amount}, {schedule}, {split}. Prossima: {next}.",
    },
    "costs.more": {
        "en": {"one": "… and {count} more.", "other": "… and {count} more."},
        "it": {"one": "… e un'altra.", "other": "… e altre {count}."},
    },
    "cost.not_found": {
        "en": "There is no cost #{id}. {costs} lists them.",
        "it": "Non c'è nessuna spesa #{id}. {costs} le elenca.",
    },
    "cost.already_stopped": {
        "en": "Cost #{id} <b>{name}</b> is already stopped.",
        "it": "La spesa #{id} <b>{name}</b> è già ferma.",
    },
    "cost.removed": {
        "en": {
            "one": "Cost #{id} <b>{name}</b> stopped: no more charges."
            " The {count} charge already made stays.",
            "other": "Cost #{id} <b>{name}</b> stopped: no more charges."
            " The {count} charges already made stay.",
        },
        "it": {
            "one": "Spesa #{id} <b>{name}</b> fermata: niente più addebiti."
            " L'addebito già fatto ({count}) resta.",
            "other": "Spesa #{id} <b>{name}</b> fermata: niente più addebiti."
            " I {count} addebiti già fatti restano.",
        },
    },
    # -- shares ---------------------------------------------------------------------------
    "shares.bad": {
        "en": "Shares must be a whole number from 0 to {limit}.",
        "it": "Le quote devono essere un numero intero da 0 a {limit}.",
    },
    "shares.not_active": {
        "en": "{name} is not an active member.",
        "it": "{name} non è un membro attivo.",
    },
    "shares.set": {
        "en": {
            "one": "{name} now has {count} share in costs split by shares.",
            "other": "{name} now has {count} shares in costs split by shares.",
        },
        "it": {
            "one": "{name} ora ha {count} quota nelle spese divise per quote.",
            "other": "{name} ora ha {count} quote nelle spese divise per quote.",
        },
    },
    "shares.one": {
        "en": {"one": "{name} has {count} share.", "other": "{name} has {count} shares."},
        "it": {"one": "{name} ha {count} quota.", "other": "{name} ha {count} quote."},
    },
    "shares.title": {
        "en": "<b>Shares</b> (for costs split by shares; change with {command})",
        "it": "<b>Quote</b> (per le spese divise per quote; si cambiano con {command})",
    },
    "shares.line": {"en": "{name}: {count}", "it": "{name}: {count}"},
    # -- charges --------------------------------------------------------------------------
    "charge.notice": {
        "en": "<b>{name}</b>, {period}: your share is <b>{share}</b> of {total} ({how}).\n"
        "Charge #{id}. When you have paid, press the button or send {paid}.",
        "it": "<b>{name}</b>, {period}: la tua quota è <b>{share}</b> su {total} ({how}).\n"
        "Addebito #{id}. Quando hai pagato, premi il pulsante o scrivi {paid}.",
    },
    "charge.how.equal": {
        "en": {"one": "nobody else to split with", "other": "split equally among {count}"},
        "it": {
            "one": "nessun altro con cui dividere",
            "other": "divisa in parti uguali fra {count}",
        },
    },
    "charge.how.nobody_came": {
        "en": "split equally: nobody came in the period",
        "it": "divisa in parti uguali: nel periodo non è venuto nessuno",
    },
    "charge.how.attendance": {
        "en": {
            "one": "by attendance: you came {count} day of {total} days of presence in all",
            "other": "by attendance: you came {count} days of {total} days of presence in all",
        },
        "it": {
            "one": "per presenze: il tuo {count} giorno su {total} giorni di presenza in tutto",
            "other": "per presenze: i tuoi {count} giorni su {total} giorni di presenza in tutto",
        },
    },
    "charge.how.shares": {
        "en": {"one": "by shares: you have {count}", "other": "by shares: you have {count}"},
        "it": {"one": "per quote: ne hai {count}", "other": "per quote: ne hai {count}"},
    },
    "charge.how.part": {
        "en": "{how}, for your {days} days as a member out of {total}",
        "it": "{how}, per i tuoi {days} giorni da membro su {total}",
    },
    "remind.before": {
        "en": "Reminder: <b>{name}</b> ({amount}, {split}) falls due on {due}."
        " I will charge it to the members that day at {time}.",
        "it": "Promemoria: <b>{name}</b> ({amount}, {split}) scade il {due}."
        " Quel giorno alle {time} la addebiterò ai membri.",
    },
    "nag.title": {"en": "<b>Still to pay</b>", "it": "<b>Ancora da pagare</b>"},
    "nag.line": {
        "en": "#{id} <b>{name}</b>, due {due}: {amount}",
        "it": "#{id} <b>{name}</b>, scaduta il {due}: {amount}",
    },
    "nag.more": {
        "en": {
            "one": "… and {count} more: {due} lists everything you owe.",
            "other": "… and {count} more: {due} lists everything you owe.",
        },
        "it": {
            "one": "… e un'altra: {due} elenca tutto quello che devi.",
            "other": "… e altre {count}: {due} elenca tutto quello che devi.",
        },
    },
    "nag.footer_one": {
        "en": "When you have paid, press the button or send {paid}.",
        "it": "Quando hai pagato, premi il pulsante o scrivi {paid}.",
    },
    "nag.footer_many": {
        "en": "When you have paid one, send {paid} followed by its number.",
        "it": "Quando ne hai pagata una, scrivi {paid} seguito dal suo numero.",
    },
    # -- payments -------------------------------------------------------------------------
    "paid.no_charge": {
        "en": "There is no charge #{id}. {due} lists yours.",
        "it": "Non c'è nessun addebito #{id}. {due} elenca i tuoi.",
    },
    "paid.not_yours": {
        "en": "You have no share in charge #{id}. {due} lists yours.",
        "it": "Non hai una quota nell'addebito #{id}. {due} elenca i tuoi.",
    },
    "paid.no_share_of": {
        "en": "{name} has no share in charge #{id}.",
        "it": "{name} non ha una quota nell'addebito #{id}.",
    },
    "paid.admins_only": {
        "en": "Only admins can record a payment for someone else.",
        "it": "Solo gli amministratori possono registrare un pagamento per un altro.",
    },
    "paid.settled": {
        "en": "The share of {name} in charge #{id} is already paid.",
        "it": "La quota di {name} nell'addebito #{id} è già pagata.",
    },
    "paid.all_declared": {
        "en": "Payments declared for charge #{id} already cover the share of {name};"
        " an admin confirms them with {confirm}.",
        "it": "I pagamenti dichiarati per l'addebito #{id} coprono già la quota di {name};"
        " un amministratore li conferma con {confirm}.",
    },
    "paid.too_much": {
        "en": "That is more than is left to pay for charge #{id}: {left}.",
        "it": "È più di quanto resta da pagare per l'addebito #{id}: {left}.",
    },
    "paid.done": {
        "en": "Noted: you paid {amount} for <b>{name}</b> (charge #{id}). Payment #{payment}"
        " waits for an admin to confirm it.",
        "it": "Preso nota: hai pagato {amount} per <b>{name}</b> (addebito #{id})."
        " Il pagamento #{payment} aspetta la conferma di un amministratore.",
    },
    "paid.left": {
        "en": "Still to pay for this charge: {left}.",
        "it": "Ancora da pagare per questo addebito: {left}.",
    },
    "paid.confirm_yourself": {
        "en": "As an admin you can confirm it with {confirm}.",
        "it": "Da amministratore puoi confermarlo con {confirm}.",
    },
    "paid.to_admins": {
        "en": "{member} says they paid {amount} for <b>{name}</b> (charge #{id})."
        " Confirm payment #{payment} with {confirm} once you have it.",
        "it": "{member} dice di aver pagato {amount} per <b>{name}</b> (addebito #{id})."
        " Conferma il pagamento #{payment} con {confirm} quando l'hai ricevuto.",
    },
    "paid.recorded": {
        "en": "Recorded and confirmed: {member} paid {amount} for <b>{name}</b>"
        " (charge #{id}, payment #{payment}).",
        "it": "Registrato e confermato: {member} ha pagato {amount} per <b>{name}</b>"
        " (addebito #{id}, pagamento #{payment}).",
    },
    "paid.recorded_notice": {
        "en": "{admin} recorded your payment of {amount} for <b>{name}</b> (charge #{id})."
        " Thank you!",
        "it": "{admin} ha registrato il tuo pagamento di {amount} per <b>{name}</b>"
        " (addebito #{id}). Grazie!",
    },
    "confirm.not_found": {
        "en": "There is no payment #{id}.",
        "it": "Non c'è nessun pagamento #{id}.",
    },
    "confirm.already": {
        "en": "Payment #{id} is already confirmed.",
        "it": "Il pagamento #{id} è già confermato.",
    },
    "confirm.done": {
        "en": "Payment #{id} confirmed: {member} paid {amount} for <b>{name}</b>"
        " (charge #{charge}).",
        "it": "Pagamento #{id} confermato: {member} ha pagato {amount} per <b>{name}</b>"
        " (addebito #{charge}).",
    },
    "confirm.notice": {
        "en": "{admin} confirmed your payment of {amount} for <b>{name}</b> (charge #{charge}).",
        "it": "{admin} ha confermato il tuo pagamento di {amount} per <b>{name}</b>"
        " (addebito #{charge}).",
    },
    "confirm.settled": {
        "en": "Your share of it is fully paid. Thank you!",
        "it": "La tua quota è interamente pagata. Grazie!",
    },
    # -- due and balance ------------------------------------------------------------------
    "due.none": {
        "en": "You owe nothing at the moment.",
        "it": "Al momento non devi nulla.",
    },
    "due.title": {"en": "<b>What you owe</b>", "it": "<b>Quanto devi</b>"},
    "due.line": {
        "en": "#{id} <b>{name}</b> ({period}), due {due}: {owed}",
        "it": "#{id} <b>{name}</b> ({period}), scadenza {due}: {owed}",
    },
    "due.declared": {
        "en": "{line}, of which {declared} declared and waiting for an admin",
        "it": "{line}, di cui {declared} dichiarati in attesa di un amministratore",
    },
    "due.more": {
        "en": {
            "one": "… and {count} more charge, counted in the total.",
            "other": "… and {count} more charges, counted in the total.",
        },
        "it": {
            "one": "… e un altro addebito, contato nel totale.",
            "other": "… e altri {count} addebiti, contati nel totale.",
        },
    },
    "due.total": {
        "en": "Still to pay: <b>{total}</b>. When you have paid, send {paid} with the number.",
        "it": "Ancora da pagare: <b>{total}</b>. Quando hai pagato, scrivi {paid} con il numero.",
    },
    "due.waiting": {
        "en": "Nothing left to pay: an admin still has to confirm what you declared.",
        "it": "Non resta nulla da pagare: un amministratore deve ancora confermare"
        " quanto hai dichiarato.",
    },
    "balance.none": {
        "en": "Every charge is settled.",
        "it": "Tutti gli addebiti sono saldati.",
    },
    "balance.title": {"en": "<b>Open charges</b>", "it": "<b>Addebiti aperti</b>"},
    "balance.charge": {
        "en": "\n<b>#{id} {name}</b> ({period}): {amount}, due {due}",
        "it": "\n<b>#{id} {name}</b> ({period}): {amount}, scadenza {due}",
    },
    "balance.paid": {"en": "✓ {member}: {amount} paid", "it": "✓ {member}: {amount} pagati"},
    "balance.owes": {"en": "• {member} owes {owed}", "it": "• {member} deve {owed}"},
    "balance.owes_rest": {
        "en": "• {member} owes {owed} of {amount}",
        "it": "• {member} deve ancora {owed} su {amount}",
    },
    "balance.declared": {
        "en": "{line} ({declared} declared, to confirm: {confirm})",
        "it": "{line} ({declared} dichiarati, da confermare: {confirm})",
    },
    "balance.more": {
        "en": {
            "one": "\n… and {count} more open charge: {export} lists them all.",
            "other": "\n… and {count} more open charges: {export} lists them all.",
        },
        "it": {
            "one": "\n… e un altro addebito aperto: {export} li elenca tutti.",
            "other": "\n… e altri {count} addebiti aperti: {export} li elenca tutti.",
        },
    },
    "balance.more_people": {
        "en": {"one": "… and {count} more.", "other": "… and {count} more."},
        "it": {"one": "… e un altro.", "other": "… e altri {count}."},
    },
    "balance.totals": {"en": "\n<b>Who owes what</b>", "it": "\n<b>Chi deve quanto</b>"},
    "balance.total_line": {"en": "{member}: {owed}", "it": "{member}: {owed}"},
    "balance.hint": {
        "en": "\nTo record money you received: {paid}.",
        "it": "\nPer registrare un pagamento ricevuto: {paid}.",
    },
    "balance.hint_args": {
        "en": "<charge> <amount> <member>",
        "it": "<addebito> <importo> <membro>",
    },
    # -- summary --------------------------------------------------------------------------
    "summary.title": {
        "en": "<b>Shared costs: {month}</b>",
        "it": "<b>Spese comuni: {month}</b>",
    },
    "summary.charged": {
        "en": {
            "one": "Charged: {count} charge, {amount}.",
            "other": "Charged: {count} charges, {amount}.",
        },
        "it": {
            "one": "Addebitato: {count} addebito, {amount}.",
            "other": "Addebitato: {count} addebiti, {amount}.",
        },
    },
    "summary.nothing_charged": {
        "en": "No charges fell due.",
        "it": "Nessun addebito in scadenza.",
    },
    "summary.received": {
        "en": "Payments confirmed: {amount}.",
        "it": "Pagamenti confermati: {amount}.",
    },
    "summary.owed": {
        "en": {
            "one": "Still owed: {amount}, by {count} member.",
            "other": "Still owed: {amount}, by {count} members.",
        },
        "it": {
            "one": "Ancora dovuti: {amount}, da {count} membro.",
            "other": "Ancora dovuti: {amount}, da {count} membri.",
        },
    },
    "summary.all_paid": {"en": "Nothing is owed.", "it": "Nessuno deve nulla."},
    "summary.to_confirm": {
        "en": {
            "one": "{count} payment waits for your confirmation.",
            "other": "{count} payments wait for your confirmation.",
        },
        "it": {
            "one": "{count} pagamento aspetta la vostra conferma.",
            "other": "{count} pagamenti aspettano la vostra conferma.",
        },
    },
    "summary.upcoming": {
        "en": "Due this month: {costs}.",
        "it": "In scadenza questo mese: {costs}.",
    },
    "summary.upcoming_more": {
        "en": {"one": "{count} more", "other": "{count} more"},
        "it": {"one": "un'altra", "other": "altre {count}"},
    },
    "summary.upcoming_item": {
        "en": "{name} on {day} ({amount})",
        "it": "{name} il {day} ({amount})",
    },
    "summary.footer": {"en": "Details: {balance}.", "it": "Dettagli: {balance}."},
    # -- export ---------------------------------------------------------------------------
    "costs.export.none": {
        "en": "There are no charges to export yet.",
        "it": "Non ci sono ancora addebiti da esportare.",
    },
    "costs.export.none_month": {
        "en": "No charges fell due in {month}.",
        "it": "Nessun addebito è scaduto in {month}.",
    },
    "costs.export.done": {
        "en": {
            "one": "{count} charge, {scope}, with its shares and payments.",
            "other": "{count} charges, {scope}, with their shares and payments.",
        },
        "it": {
            "one": "{count} addebito, {scope}, con quote e pagamenti.",
            "other": "{count} addebiti, {scope}, con quote e pagamenti.",
        },
    },
    "costs.export.all": {"en": "all time", "it": "da sempre"},
    "costs.export.month": {"en": "due in {month}", "it": "in scadenza a {month}"},
}
