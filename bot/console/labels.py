"""Vietnamese labels for the console (risk, status, category, referral, channel, role)."""

from __future__ import annotations

RISK = {"imminent": "Nguy hiểm tức thời", "high": "Cao", "concern": "Cần chú ý", "none": "Không"}
STATUS = {
    "open": "Đang chờ",
    "active": "Đang tư vấn",
    "referred": "Đã chuyển tuyến",
    "closed": "Đã đóng",
}
CATEGORY = {
    "sexual_abuse": "Xâm hại tình dục",
    "physical_violence": "Bạo lực thể chất",
    "emotional_abuse": "Bạo lực tinh thần",
    "neglect": "Bỏ mặc, sao nhãng",
    "self_harm": "Tự làm hại bản thân",
    "immediate_danger": "Nguy hiểm ngay lúc này",
    "trafficking": "Mua bán người",
    "child_labour": "Lao động trẻ em",
    "online_abuse": "Xâm hại trên mạng",
    "bullying": "Bắt nạt",
    "runaway": "Bỏ nhà đi",
    "other": "Khác",
}
SERVICE = {
    "police": "Công an",
    "health": "Y tế",
    "social_affairs": "Bảo trợ xã hội – bảo vệ trẻ em",
    "school": "Nhà trường",
}
CHANNEL = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo OA", "zalo_oa": "Zalo OA",
           "zalo_bot": "Zalo Bot"}
ROLE = {"counsellor": "Tư vấn viên", "supervisor": "Giám sát viên", "admin": "Quản trị"}
AUTHOR = {"user": "Trẻ / người dùng", "bot": "Bot", "counsellor": "Tư vấn viên",
          "system": "Hệ thống"}
ALERT = {"no_counsellor_in_time": "Chưa có tư vấn viên nhận ca trong thời gian quy định"}


def all_labels() -> dict[str, dict[str, str]]:
    """Every label table, sent once to the console page."""
    return {
        "risk": RISK,
        "status": STATUS,
        "category": CATEGORY,
        "service": SERVICE,
        "channel": CHANNEL,
        "role": ROLE,
        "author": AUTHOR,
        "alert": ALERT,
    }
