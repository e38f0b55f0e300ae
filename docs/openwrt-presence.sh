#!/bin/sh
# coworkbot's automatic presence from an OpenWrt access point: every minute, the phones
# and laptops on the space's Wi-Fi are posted to the bot, and those that left since the
# last run are posted as absent. Only devices members registered (/device add) count;
# the bot ignores the others and does not say which ones it knows.
#
# Install on the router (OpenWrt 21.02 or later; BusyBox sh, iw, and curl):
#   opkg update && opkg install curl
#   scp docs/openwrt-presence.sh root@router:/usr/bin/coworkbot-presence
#   chmod +x /usr/bin/coworkbot-presence      # then set URL and TOKEN below
#   echo '* * * * * /usr/bin/coworkbot-presence' >> /etc/crontabs/root
#   /etc/init.d/cron restart
# The token comes from the bot: an admin sends it /presence token in private.

URL="${COWORKBOT_URL:-https://cowo.example.org/spaces/coworking-veglio/presence}"
TOKEN="${COWORKBOT_TOKEN:-paste-the-token-from-/presence-token-here}"
STATE="${COWORKBOT_STATE:-/tmp/coworkbot-presence.last}"

# The MAC address of every station associated to any of this router's Wi-Fi interfaces.
stations() {
    for dev in $(iw dev | awk '$1 == "Interface" { print $2 }'); do
        iw dev "$dev" station dump | awk '$1 == "Station" { print tolower($2) }'
    done | sort -u
}

now=$(stations)
before=$(cat "$STATE" 2>/dev/null)
body=""
add() { body="${body:+$body,}{\"device\":\"$1\",\"present\":$2}"; }
for mac in $now; do
    add "$mac" true
done
for mac in $before; do
    case " $(echo $now) " in
        *" $mac "*) ;;
        *) add "$mac" false ;;
    esac
done
[ -n "$body" ] || exit 0

# Remember what was sent only once the bot has it, so an absent report is not lost.
curl -fsS -m 20 -X POST \
    -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: application/json" \
    --data "[$body]" "$URL" > /dev/null && echo "$now" > "$STATE"
