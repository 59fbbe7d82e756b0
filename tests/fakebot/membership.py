"""Group membership in the fake server: who is in a group with which status, the bot's own
rights, invite links, join requests, and the Bot API methods on them.

Behaves as the Bot API documents (and tdlib/telegram-bot-api answers):

* ``getChatMember`` — the member's status (``left`` for someone never in the group), the bot's
  own status and rights for the bot's id; an unknown user is ``400 user not found``.
* ``createChatInviteLink`` — only for an administrator with ``can_invite_users`` ("not enough
  rights to manage chat invite link"); ``member_limit`` with ``creates_join_request`` is refused.
* ``approveChatJoinRequest`` / ``declineChatJoinRequest`` — ``HIDE_REQUESTER_MISSING`` without a
  pending request, ``USER_ALREADY_PARTICIPANT`` for a member; approving needs the invite right
  (``CHAT_ADMIN_REQUIRED``). The bot may write to a requester's private chat (``user_chat_id``)
  for five minutes while the request is pending, even if they never started the bot.
* ``banChatMember`` — needs ``can_restrict_members``; the owner and administrators cannot be
  banned; the user is ``kicked``. ``unbanChatMember`` — supergroups and channels only; without
  ``only_if_banned`` a present member is removed too (``left``).

Every change of a user's status queues a ``chat_member`` update, delivered when the bot asked
for ``chat_member`` in ``allowed_updates``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import TYPE_CHECKING, Any

from .models import ApiError, FakeChat

if TYPE_CHECKING:
    from .server import FakeTelegramServer
    from .users import FakeUser

__all__ = ["JOIN_REQUEST_WINDOW", "MembershipMethods", "admin_rights"]

JsonDict = dict[str, Any]

#: Seconds the bot may write to someone whose join request is pending.
JOIN_REQUEST_WINDOW = 300
_PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
_link_ids = itertools.count(1)


def admin_rights(**overrides: bool) -> JsonDict:
    """The rights of an administrator: all true but promoting others, unless overridden."""
    rights = {name: name != "can_promote_members" for name in _ADMIN_RIGHTS}
    rights.update(overrides)
    return rights


def membership_of(chat: FakeChat) -> dict[int, JsonDict]:
    """user id → ``{"status": …, **rights}`` of a group (kept on the chat object)."""
    members: dict[int, JsonDict] | None = getattr(chat, "members", None)
    if members is None:
        members = {}
        chat.members = members  # type: ignore[attr-defined]
    return members


def bot_state(chat: FakeChat) -> JsonDict:
    """The bot's own status in a group: a plain member unless promoted."""
    state: JsonDict | None = getattr(chat, "bot_member", None)
    if state is None:
        state = {"status": "member"}
        chat.bot_member = state  # type: ignore[attr-defined]
    return state


def join_requests(chat: FakeChat) -> dict[int, float]:
    """user id → when they asked to join (pending requests)."""
    pending: dict[int, float] | None = getattr(chat, "join_requests", None)
    if pending is None:
        pending = {}
        chat.join_requests = pending  # type: ignore[attr-defined]
    return pending


def invite_links(chat: FakeChat) -> dict[str, JsonDict]:
    links: dict[str, JsonDict] | None = getattr(chat, "invite_links", None)
    if links is None:
        links = {}
        chat.invite_links = links  # type: ignore[attr-defined]
    return links


def member_dict(user: JsonDict, state: JsonDict, chat_type: str) -> JsonDict:
    """The ``ChatMember`` object PTB parses, by status."""
    status = state["status"]
    result: JsonDict = {"user": user, "status": status}
    if status == "administrator":
        rights = {k: v for k, v in state.items() if k != "status"}
        result.update({"can_be_edited": False, "is_anonymous": False, **admin_rights(**rights)})
    elif status == "creator":
        result["is_anonymous"] = False
    elif status == "kicked":
        result["until_date"] = 0
    return result


class MembershipMethods:
    """The membership methods of the fake Bot API (mounted by `BotApiMethods`)."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server

    def handlers(self) -> dict[str, Any]:
        return {
            "getChatMember": self.get_chat_member,
            "createChatInviteLink": self.create_chat_invite_link,
            "approveChatJoinRequest": self.approve_chat_join_request,
            "declineChatJoinRequest": self.decline_chat_join_request,
            "banChatMember": self.ban_chat_member,
            "kickChatMember": self.ban_chat_member,
            "unbanChatMember": self.unban_chat_member,
        }

    # ------------------------------------------------------------------ helpers
    def _group(self, params: JsonDict) -> FakeChat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError.bad_request("chat_id is empty")
        chat = self.server.find_chat(chat_id)
        if chat is None:
            raise ApiError.bad_request("chat not found")
        if chat.blocked:
            raise ApiError.forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _user_id(self, params: JsonDict) -> int:
        raw = params.get("user_id")
        try:
            user_id = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError.bad_request("invalid user_id specified") from None
        if user_id != self.server.bot_id and user_id not in self.server.users:
            raise ApiError.bad_request("user not found")
        return user_id

    def _bot_may(self, chat: FakeChat, right: str) -> bool:
        state = bot_state(chat)
        if state["status"] == "creator":
            return True
        return state["status"] == "administrator" and bool(state.get(right))

    def _user_dict(self, user_id: int) -> JsonDict:
        if user_id == self.server.bot_id:
            return self.server.bot_user
        return self.server.users[user_id].to_dict()

    def set_status(
        self,
        chat: FakeChat,
        user_id: int,
        status: str,
        *,
        actor: JsonDict | None = None,
        **extra: Any,
    ) -> None:
        """Change a user's status and queue the ``chat_member`` update Telegram sends."""
        members = membership_of(chat)
        old = members.get(user_id, {"status": "left"})
        new = {"status": status}
        members[user_id] = new
        if old["status"] == status:
            return
        user = self._user_dict(user_id)
        change: JsonDict = {
            "chat": chat.to_dict(),
            "from": actor or user,
            "date": int(time.time()),
            "old_chat_member": member_dict(user, old, chat.type),
            "new_chat_member": member_dict(user, new, chat.type),
            **extra,
        }
        self.server.queue_updates([{"chat_member": change}])

    # ------------------------------------------------------------------ methods
    def get_chat_member(self, params: JsonDict) -> JsonDict:
        chat = self._group(params)
        user_id = self._user_id(params)
        if user_id == self.server.bot_id:
            return member_dict(self.server.bot_user, bot_state(chat), chat.type)
        if chat.is_private:
            status = "member" if user_id == chat.id else "left"
            return member_dict(self._user_dict(user_id), {"status": status}, chat.type)
        state = membership_of(chat).get(user_id, {"status": "left"})
        return member_dict(self._user_dict(user_id), state, chat.type)

    def create_chat_invite_link(self, params: JsonDict) -> JsonDict:
        chat = self._group(params)
        if chat.is_private:
            raise ApiError.bad_request("chat not found")
        if not self._bot_may(chat, "can_invite_users"):
            raise ApiError.bad_request("not enough rights to manage chat invite link")
        creates = bool(params.get("creates_join_request"))
        if creates and params.get("member_limit"):
            raise ApiError.bad_request(
                "member limit can't be specified for links requiring administrator approval"
            )
        link: JsonDict = {
            "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)[:16]}{next(_link_ids)}",
            "creator": self.server.bot_user,
            "creates_join_request": creates,
            "is_primary": False,
            "is_revoked": False,
        }
        if params.get("name"):
            link["name"] = str(params["name"])[:32]
        invite_links(chat)[link["invite_link"]] = link
        return link

    def _pending(self, chat: FakeChat, user_id: int) -> None:
        if membership_of(chat).get(user_id, {}).get("status") in _PRESENT:
            raise ApiError.bad_request("USER_ALREADY_PARTICIPANT")
        if user_id not in join_requests(chat):
            raise ApiError.bad_request("HIDE_REQUESTER_MISSING")

    def approve_chat_join_request(self, params: JsonDict) -> bool:
        chat = self._group(params)
        user_id = self._user_id(params)
        if not self._bot_may(chat, "can_invite_users"):
            raise ApiError.bad_request("CHAT_ADMIN_REQUIRED")
        self._pending(chat, user_id)
        del join_requests(chat)[user_id]
        self.set_status(chat, user_id, "member", via_join_request=True)
        return True

    def decline_chat_join_request(self, params: JsonDict) -> bool:
        chat = self._group(params)
        user_id = self._user_id(params)
        if not self._bot_may(chat, "can_invite_users"):
            raise ApiError.bad_request("CHAT_ADMIN_REQUIRED")
        self._pending(chat, user_id)
        del join_requests(chat)[user_id]
        return True

    def ban_chat_member(self, params: JsonDict) -> bool:
        chat = self._group(params)
        user_id = self._user_id(params)
        if chat.is_private:
            raise ApiError.bad_request("chat member status can't be changed in private chats")
        if not self._bot_may(chat, "can_restrict_members"):
            raise ApiError.bad_request("not enough rights to restrict/unrestrict chat member")
        status = membership_of(chat).get(user_id, {}).get("status")
        if status == "creator":
            raise ApiError.bad_request("can't remove chat owner")
        if status == "administrator":
            raise ApiError.bad_request("user is an administrator of the chat")
        self.set_status(chat, user_id, "kicked", actor=self.server.bot_user)
        return True

    def unban_chat_member(self, params: JsonDict) -> bool:
        chat = self._group(params)
        user_id = self._user_id(params)
        if chat.type not in ("supergroup", "channel"):
            raise ApiError.bad_request("method is available for supergroup and channel chats only")
        if not self._bot_may(chat, "can_restrict_members"):
            raise ApiError.bad_request("not enough rights to restrict/unrestrict chat member")
        status = membership_of(chat).get(user_id, {}).get("status", "left")
        if params.get("only_if_banned") and status != "kicked":
            return True
        if status in ("creator", "administrator"):
            raise ApiError.bad_request("user is an administrator of the chat")
        self.set_status(chat, user_id, "left", actor=self.server.bot_user)
        return True


def request_to_join(
    server: FakeTelegramServer, user: FakeUser, chat: FakeChat, link: str
) -> JsonDict:
    """The ``chat_join_request`` update of `user` opening a join-request `link` of `chat`."""
    known = invite_links(chat).get(link)
    if known is None or known.get("is_revoked"):
        raise AssertionError(f"{link!r} is not a live invite link of {chat!r}")
    if not known.get("creates_join_request"):
        raise AssertionError(f"{link!r} does not create join requests")
    join_requests(chat)[user.id] = time.time()
    user.chat.join_request_until = time.time() + JOIN_REQUEST_WINDOW  # type: ignore[attr-defined]
    return {
        "chat_join_request": {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": int(time.time()),
            "invite_link": known,
        }
    }


def may_write_to_requester(chat: FakeChat) -> bool:
    """A private chat the user never started is writable while their join request is fresh."""
    until: float = getattr(chat, "join_request_until", 0.0)
    return until > time.time()
