"""The Telegram transport on python-telegram-bot's `Bot`.

Updates come by long polling (default) or by webhook. Either way an update is confirmed
to Telegram only after the sink returned, that is after the dispatcher committed it
with its dedupe record: a crash in between makes Telegram send it again, and the dedupe
table makes the second time do nothing. (PTB's `Updater` confirms an update as soon as
it is queued, before it is processed, so a crash there would lose it; that is why the
loop below is ours and PTB is used for what it does well: the Bot API calls and types.)

Sends go through `SendLimiter`, so a burst stays within Telegram's limits instead of
collecting 429s; a 429 that still comes pauses all sends for its `retry_after`. Each
failure becomes a `DeliveryError` the outbox understands: transient (network, 5xx,
timeouts) or permanent (403: blocked, never started, removed from the group).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import warnings
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, TelegramSection
from bot.events import (
    MAX_ATTACHMENT,
    Button,
    ChatRef,
    Document,
    IncomingMessage,
    Kind,
    OutgoingMessage,
    Platform,
    UserRef,
)
from bot.i18n import Markup, Translator, escape
from bot.logs import Redactor
from bot.transports.base import DeliveryError, Sink, unless_stopped
from bot.transports.telegram.buttons import ButtonSigner
from bot.transports.telegram.limits import TELEGRAM_LIMITS, RateLimits, SendLimiter
from bot.transports.telegram.menu import CommandMenu
from bot.transports.telegram.split import CAPTION_LIMIT, TEXT_LIMIT, split_html, visible_len
from bot.transports.telegram.split import visible_text as plain_text
from bot.transports.telegram.updates import (
    ALLOWED_UPDATES,
    AnonymousCommand,
    chat_ref,
    convert,
    user_ref,
)

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SEND_ATTEMPTS = 4  # a 429 or a migrated group is retried at once, this many times in all
SINK_ATTEMPTS = 5  # an update the bot could not store is tried again before it is skipped
START_ATTEMPTS = 6  # getMe at start, with 1, 2, 4, 8, 16 s between tries
STOP_GRACE = 10.0
PHOTO_BYTES = 10 * 1024 * 1024
# Loggers that may see the token: PTB logs its API URL and call parameters at DEBUG,
# httpx logs every request URL at INFO. Filters on them scrub each record at birth,
# whatever handlers are attached later.
WATCHED_LOGGERS = (
    "telegram.Bot",
    "telegram.BaseRequest",
    "telegram.HTTPXRequest",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "aiohttp.server",
    "aiohttp.web",
    __name__,
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `poll` is the long-poll wait Telegram holds a getUpdates open for."""

    connect: float = 10.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 5.0
    media_write: float = 60.0
    poll: int = 25


@dataclass(frozen=True)
class Part:
    """One Bot API call of a message: a text piece, or the document with its caption."""

    html: str
    document: Document | None = None
    reply_to: str = ""
    keyboard: bool = False


def plan(message: OutgoingMessage) -> list[Part]:
    """The calls that deliver `message`: the reply points at the first, buttons sit on the last."""
    if message.document is None:
        parts = [Part(chunk) for chunk in split_html(message.html, TEXT_LIMIT)]
    elif visible_len(message.html) <= CAPTION_LIMIT:
        parts = [Part(message.html, message.document)]
    else:
        parts = [Part(chunk) for chunk in split_html(message.html, TEXT_LIMIT)]
        parts.append(Part("", message.document))
    if not parts:
        return []
    parts[0] = replace(parts[0], reply_to=message.reply_to)
    parts[-1] = replace(parts[-1], keyboard=True)
    return parts


def as_photo(document: Document) -> bool:
    """Whether to show a file as a picture in the chat (the payment QR code) rather than
    as a file: a PNG within sendPhoto's limits (10 MB, width + height at most 10000, a
    side at most 20 times the other: https://core.telegram.org/bots/api#sendphoto).
    Other files, JPEG receipts too, go as documents: Telegram recompresses photos, and
    a receipt must arrive as it was kept."""
    size = document.png_size
    if size is None or len(document.content) > PHOTO_BYTES:
        return False
    width, height = size
    return 0 < width + height <= 10_000 and max(width, height) <= 20 * min(width, height)


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB gives an int (22.x) or a timedelta (later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def derived_secret(token: str, purpose: str) -> str:
    """A secret only this bot can compute, for when the config does not give one."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:48]


class TelegramTransport:
    platform = Platform.TELEGRAM

    def __init__(
        self,
        section: TelegramSection,
        *,
        clock: Clock | None = None,
        menu: CommandMenu | None = None,
        limits: RateLimits = TELEGRAM_LIMITS,
        timeouts: Timeouts | None = None,
        language: str = "it",
    ) -> None:
        self.section = section
        self.clock = clock or SystemClock()
        self.menu = menu
        self.translator = Translator(language)
        self.language = self.translator.language(language)
        self.timeouts = timeouts or Timeouts()
        self.webhook_secret = section.secret_token or derived_secret(section.token, "webhook")
        self.redactor = Redactor([section.token, section.token.partition(":")[2]])
        self.redactor.add(self.webhook_secret)
        self._watch_logs()
        base = (section.api_base_url or DEFAULT_API).rstrip("/")
        t = self.timeouts
        self.bot = Bot(
            section.token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=64,
                connect_timeout=t.connect,
                read_timeout=t.read,
                write_timeout=t.write,
                pool_timeout=t.pool,
                media_write_timeout=t.media_write,
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=2,
                connect_timeout=t.connect,
                read_timeout=t.read,
                write_timeout=t.write,
                pool_timeout=t.pool,
            ),
        )
        self.limiter = SendLimiter(limits)
        self.signer = ButtonSigner(section.token, self.clock)
        self._sink: Sink | None = None
        self._name = ""
        self._bot_id = 0
        self._offset: int | None = None
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._web: web.AppRunner | None = None
        self._progress: dict[int, int] = {}  # outbox row -> parts already delivered
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the Transport protocol -------------------------------------------------------

    @property
    def bot_name(self) -> str:
        return self._name

    async def start(self, sink: Sink) -> None:
        self._sink = sink
        self._stopping.clear()
        self._watch_logs()
        await self._initialize()
        await self._publish_menu()
        if self.section.mode == "webhook":
            await self._start_webhook()
            return
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as exc:
            log.warning("could not remove a webhook before polling: %s", self._scrub(exc))
        # Last, with no await after it: the first update must not outrun App's bot_names.
        self._poller = asyncio.create_task(self._poll(), name="telegram-poll")

    async def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            try:
                await asyncio.wait_for(self._poller, STOP_GRACE)
            except TimeoutError:
                log.warning("telegram polling did not stop in time; cancelled")
            self._poller = None
            await self._confirm()
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_GRACE)
            for task in self._tasks:
                task.cancel()
        self._sink = None

    async def close(self) -> None:
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        self._unwatch_logs()

    async def send(self, message: OutgoingMessage) -> str:
        parts = plan(message)
        if not parts:
            raise DeliveryError("empty message: nothing to send", permanent=True)
        keyboard = self._keyboard(message)
        done = self._progress.get(message.key, 0) if message.key else 0
        ids: list[str] = []
        try:
            for index, part in enumerate(parts):
                if index < done:
                    continue  # delivered by an earlier try of this row
                ids.append(await self._send_part(message.chat, part, keyboard))
                if message.key:
                    self._progress[message.key] = index + 1
        except DeliveryError as err:
            if err.permanent:
                self._progress.pop(message.key, None)
            raise
        self._progress.pop(message.key, None)
        return ",".join(ids)

    async def is_chat_admin(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether Telegram says `user` administers (or created) the group `chat`."""
        if chat.private:
            return False
        member = await self.bot.get_chat_member(int(chat.chat_id), int(user.user_id))
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    # -- start ------------------------------------------------------------------------

    async def _initialize(self) -> None:
        for attempt in range(START_ATTEMPTS):
            try:
                await self.bot.initialize()
                break
            except InvalidToken:
                raise ConfigError(
                    None, "telegram.token", "Telegram refused this token (revoked or mistyped?)"
                ) from None
            except TelegramError as exc:
                if attempt + 1 == START_ATTEMPTS:
                    raise ConfigError(
                        None,
                        "telegram.api_base_url",
                        f"cannot reach the Telegram Bot API: {self._scrub(exc)}",
                    ) from None
                log.warning("Telegram not reachable (%s); trying again", self._scrub(exc))
                await asyncio.sleep(2.0**attempt)
        self._name = self.bot.username
        self._bot_id = self.bot.id
        log.info("telegram: logged in as @%s", self._name)

    async def _publish_menu(self) -> None:
        """setMyCommands for every language; a failure costs the menu, not the start."""
        menu = self.menu
        if menu is None:
            return
        try:
            for lang in (None, *menu.everyone):
                key = lang or menu.default_language
                for scope, entries in (
                    (BotCommandScopeDefault(), menu.everyone[key]),
                    (BotCommandScopeAllChatAdministrators(), menu.admins[key]),
                ):
                    commands = [BotCommand(name, text) for name, text in entries]
                    await self.bot.set_my_commands(commands, scope=scope, language_code=lang)
        except TelegramError as exc:
            log.warning("could not publish the command menu: %s", self._scrub(exc))

    # -- receiving: long polling ------------------------------------------------------

    async def _poll(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await self._fetch()
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                await self._pause(retry_seconds(exc))
                continue
            except (Conflict, InvalidToken) as exc:
                log.error("telegram polling refused: %s", self._scrub(exc))
                failures += 1
                await self._pause(min(60.0, 2.0**failures))
                continue
            except TelegramError as exc:
                log.warning("telegram polling failed: %s; retrying", self._scrub(exc))
                failures += 1
                await self._pause(min(30.0, 2.0 ** min(failures, 5)))
                continue
            except Exception:
                # Whatever it is, a polling loop that dies leaves the bot deaf: go on.
                log.exception("telegram polling broke; retrying")
                failures += 1
                await self._pause(min(30.0, 2.0 ** min(failures, 5)))
                continue
            if updates is None:
                break
            failures = 0
            await self._handle_all(updates)

    async def _handle_all(self, updates: tuple[Update, ...]) -> None:
        """A getUpdates answer, handed over together so its updates share the bot's next
        transaction (storage/groupcommit.py), in order; the offset moves past each one
        stored, and stops at the first that was not (Telegram sends it again).

        A button press is answered before it is handed over, so it goes alone, in its
        turn: what came before it is stored first, what comes after it waits.
        """
        start = 0
        while start < len(updates) and not self._stopping.is_set():
            end = start + 1
            if updates[start].callback_query is None:
                while end < len(updates) and updates[end].callback_query is None:
                    end += 1
            run = updates[start:end]
            stored = await asyncio.gather(*(self._handle(update) for update in run))
            for update, ok in zip(run, stored, strict=True):
                if not ok:
                    return  # not confirmed: Telegram sends it again after the restart
                self._offset = update.update_id + 1
            start = end

    async def _fetch(self) -> tuple[Update, ...] | None:
        """The next updates (confirming those before the offset); None when stopping."""
        return await unless_stopped(
            self.bot.get_updates(
                offset=self._offset,
                timeout=self.timeouts.poll,
                allowed_updates=list(ALLOWED_UPDATES),
            ),
            self._stopping,
        )

    async def _pause(self, delay: float) -> None:
        """Sleep, unless the transport is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)

    async def _confirm(self) -> None:
        """Tell Telegram what was processed, so a clean restart receives nothing twice."""
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.get_updates(offset=self._offset, timeout=0, limit=1, read_timeout=5)

    async def _handle(self, update: Update) -> bool:
        """Process one update; False if it must stay unconfirmed (stopping while retrying)."""
        for attempt in range(SINK_ATTEMPTS):
            try:
                await self._process(update)
                return True
            except Exception:
                log.exception(
                    "update %s could not be processed (try %d)", update.update_id, attempt + 1
                )
            if self._stopping.is_set():
                return False
            await self._pause(min(30.0, 2.0**attempt))
        log.error("update %s skipped after %d tries", update.update_id, SINK_ATTEMPTS)
        return True

    async def _process(self, update: Update) -> None:
        if self._sink is None:
            raise RuntimeError("the transport is not started")
        incoming: IncomingMessage | AnonymousCommand | None
        try:
            if update.callback_query is not None:
                incoming = await self._press(update, update.callback_query)
            else:
                incoming = convert(update, self._bot_id, self._name)
        except Exception:
            # Malformed or of a shape we do not know: trying again cannot help.
            log.exception("update %s not understood; skipped", update.update_id)
            return
        if isinstance(incoming, AnonymousCommand):
            # In the background: a group at its 20-a-minute limit must not stall polling.
            task = asyncio.create_task(self._ask_who(incoming), name="telegram-ask-who")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif incoming is not None:
            await self._sink(await self._fetch_attachment(incoming))

    async def _press(self, update: Update, query: CallbackQuery) -> IncomingMessage | None:
        """A button press: the command it carries, from the presser, where it was shown."""
        message = query.message
        command = None
        if message is not None and query.data:
            command = self.signer.verify(str(message.chat.id), query.data)
        if message is None or command is None:
            log.info(
                "refused a button press from user %s: unknown or stale data", query.from_user.id
            )
            lang = (query.from_user.language_code or "")[:2]
            refused = self.translator.t(self.translator.language(lang), "telegram.button_refused")
            await self._answer(query, str(refused))
            return None
        await self._answer(query)
        return IncomingMessage(
            update_id=str(update.update_id),
            chat=chat_ref(message.chat),
            sender=user_ref(query.from_user),
            text=f"/{command}",
            timestamp=self.clock.now(),
            kind=Kind.BUTTON,
            message_id=str(message.message_id),
            raw=update,
        )

    async def _fetch_attachment(self, incoming: IncomingMessage) -> IncomingMessage:
        """Download the file a command came with (before the command's transaction).

        Only for commands, and only up to MAX_ATTACHMENT: a bigger file stays unfetched and
        the handler says so. getFile refuses files over 20 MB with "file is too big"
        (https://core.telegram.org/bots/api#getfile); the download link is
        `<base>/file/bot<token>/<file_path>`, valid for an hour. A network failure raises,
        so the update is tried again.
        """
        attachment = incoming.attachment
        if attachment is None or attachment.content is not None or not attachment.ref:
            return incoming
        if not incoming.text.lstrip().startswith("/") or attachment.size > MAX_ATTACHMENT:
            return incoming
        try:
            file = await self.bot.get_file(attachment.ref)
        except BadRequest as exc:
            log.info("telegram refused a file sent with a command: %s", self._scrub(exc))
            if "too big" not in exc.message.lower():
                return incoming  # not fetched: the handler says it could not be read
            return replace(incoming, attachment=replace(attachment, size=MAX_ATTACHMENT + 1))
        size = file.file_size or attachment.size
        if size > MAX_ATTACHMENT:
            return replace(incoming, attachment=replace(attachment, size=size))
        content = bytes(await file.download_as_bytearray())
        fetched = replace(attachment, size=max(size, len(content)), content=content)
        return replace(incoming, attachment=fetched)

    async def _answer(self, query: CallbackQuery, text: str | None = None) -> None:
        """Stop the button's spinner. After a restart the query may be too old: no matter."""
        try:
            await self.bot.answer_callback_query(query.id, text=text)
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed: %s", self._scrub(exc))

    async def _ask_who(self, anonymous: AnonymousCommand) -> None:
        """Someone wrote as the group: a button lets the real admin run the command."""
        t = functools.partial(self.translator.t, self.language)
        shown = Markup(f"<code>{escape(f'/{anonymous.command}')}</code>")
        if self.signer.sign(anonymous.chat.chat_id, anonymous.command) is not None:
            html = t("telegram.anonymous", command=shown)
            buttons: tuple[tuple[str, str], ...] = ((t("telegram.run_as_me"), anonymous.command),)
        else:
            html = t("telegram.anonymous_long", command=shown)
            buttons = ()
        message = OutgoingMessage(
            chat=anonymous.chat,
            html=str(html),
            buttons=tuple(Button(str(label), command) for label, command in buttons),
            reply_to=anonymous.message_id,
        )
        try:
            await self.send(message)
        except DeliveryError as err:
            log.warning("could not answer an anonymous admin: %s", err.reason)

    # -- receiving: webhook -------------------------------------------------------------

    async def _start_webhook(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post(urlsplit(self.section.webhook_url).path or "/", self._on_webhook)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=STOP_GRACE
        )
        await runner.setup()
        await web.TCPSite(runner, self.section.listen, self.section.port).start()
        self._web = runner
        try:
            await self.bot.set_webhook(
                url=self.section.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=8,
            )
        except TelegramError as exc:
            await runner.cleanup()
            self._web = None
            raise ConfigError(
                None, "telegram.webhook_url", f"Telegram refused the webhook: {self._scrub(exc)}"
            ) from None
        log.info("telegram: webhook listening on %s:%s", self.section.listen, self.webhook_port)

    @property
    def webhook_port(self) -> int:
        """The port the webhook listens on (the configured one, or the one picked for 0)."""
        if self._web is None:
            return 0
        for address in self._web.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return 0

    async def _on_webhook(self, request: web.Request) -> web.StreamResponse:
        """Answer 200 only once the update is stored; otherwise Telegram sends it again."""
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("refused a webhook request without the right secret token")
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("refused a webhook request that is not a Telegram update")
            return web.Response(status=400)
        try:
            await self._process(update)
        except Exception:
            log.exception(
                "update %s could not be processed; Telegram will resend it", update.update_id
            )
            return web.Response(status=500)
        return web.Response(status=200)

    # -- sending ------------------------------------------------------------------------

    def _keyboard(self, message: OutgoingMessage) -> InlineKeyboardMarkup | None:
        buttons: list[InlineKeyboardButton] = []
        for button in message.buttons:
            data = self.signer.sign(message.chat.chat_id, button.command)
            if data is None:
                log.warning(
                    "button %r left out: its command is too long for Telegram", button.label
                )
                continue
            buttons.append(InlineKeyboardButton(button.label, callback_data=data))
        if not buttons:
            return None
        if len(buttons) <= 3:
            return InlineKeyboardMarkup([buttons])
        return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])

    async def _send_part(
        self, chat: ChatRef, part: Part, keyboard: InlineKeyboardMarkup | None
    ) -> str:
        if not chat.chat_id.lstrip("-").isdigit():
            raise DeliveryError(f"not a Telegram chat id: {chat.chat_id!r}", permanent=True)
        chat_id = int(chat.chat_id)
        html: str = part.html
        parse_mode: str | None = ParseMode.HTML
        markup = keyboard if part.keyboard else None
        for attempt in range(SEND_ATTEMPTS):
            last = attempt + 1 == SEND_ATTEMPTS
            try:
                async with self.limiter.slot(str(chat_id), chat.private):
                    try:
                        sent = await self._call(chat_id, part, html, parse_mode, markup)
                    except RetryAfter as exc:
                        # Inside the slot, so every waiting send sees the pause at once.
                        self.limiter.pause(retry_seconds(exc))
                        raise
                return str(sent.message_id)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                log.warning("telegram flood control: waiting %.0f s", wait)
                if last:
                    raise DeliveryError("flood control", retry_after=wait) from None
            except ChatMigrated as exc:
                log.warning("group %s became supergroup %s", chat_id, exc.new_chat_id)
                chat_id = int(exc.new_chat_id)
            except BadRequest as exc:
                if parse_mode is not None and "can't parse entities" in exc.message.lower():
                    # Our HTML is escaped when rendered; if it still fails, plain text
                    # delivers the words rather than nothing.
                    log.error(
                        "Telegram could not parse our HTML (%s); sent as plain text", exc.message
                    )
                    html, parse_mode = plain_text(html), None
                    continue
                raise DeliveryError(f"refused: {self._scrub(exc)}", permanent=True) from None
            except Forbidden as exc:
                raise DeliveryError(f"forbidden: {self._scrub(exc)}", permanent=True) from None
            except InvalidToken:
                raise DeliveryError("Telegram refused the bot token", retry_after=300) from None
            except TimedOut:
                raise DeliveryError("timed out (the message may have arrived)") from None
            except TelegramError as exc:  # NetworkError: connection lost, 5xx
                raise DeliveryError(f"network: {self._scrub(exc)}") from None
        raise DeliveryError("gave up after repeated flood control or migrations")

    async def _call(
        self,
        chat_id: int,
        part: Part,
        html: str,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        reply = None
        if part.reply_to.isdigit():
            reply = ReplyParameters(int(part.reply_to), allow_sending_without_reply=True)
        if part.document is not None:
            # A picture of ours (the payment QR code) is shown in the chat; files are files.
            send = self.bot.send_photo if as_photo(part.document) else self.bot.send_document
            return await send(
                chat_id,
                InputFile(part.document.content, filename=part.document.filename),
                caption=html or None,
                parse_mode=parse_mode if html else None,
                reply_markup=markup,
                reply_parameters=reply,
            )
        return await self.bot.send_message(
            chat_id,
            html,
            parse_mode=parse_mode,
            reply_markup=markup,
            reply_parameters=reply,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    # -- secrets in logs ----------------------------------------------------------------

    def _scrub(self, exc: BaseException | str) -> str:
        text = exc.message if isinstance(exc, TelegramError) else str(exc)
        return self.redactor.scrub(text)

    def _watch_logs(self) -> None:
        for name in WATCHED_LOGGERS:
            logger = logging.getLogger(name)
            if self.redactor not in logger.filters:
                logger.addFilter(self.redactor)

    def _unwatch_logs(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeFilter(self.redactor)
