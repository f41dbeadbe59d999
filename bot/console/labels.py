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
CHANNEL = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo OA",
           "zalo_bot": "Zalo Bot"}
ROLE = {"counsellor": "Tư vấn viên", "supervisor": "Giám sát viên", "admin": "Quản trị"}
AUTHOR = {"user": "Trẻ / người dùng", "bot": "Bot", "counsellor": "Tư vấn viên",
          "system": "Hệ thống"}
ALERT = {
    "no_counsellor_in_time": "Chưa có tư vấn viên nhận ca trong thời gian quy định",
    "case_burst": "Nhiều ca mới cùng lúc từ một kênh (có thể là một trường học dùng chung "
                  "mạng, hoặc tin giả hàng loạt): xem kỹ, không từ chối ca nào",
    "risk_raised": "Mức nguy cơ của ca tăng",
}
STEP = {
    "received": "Tiếp nhận",
    "assessed": "Đánh giá",
    "plan": "Lập kế hoạch",
    "intervention": "Can thiệp",
    "referral": "Chuyển tuyến",
    "follow_up": "Theo dõi",
    "closed": "Đóng ca",
}
REFERRAL_STATUS = {"made": "Đã chuyển", "received": "Đơn vị đã tiếp nhận",
                   "done": "Đã xử lý xong", "declined": "Đơn vị từ chối"}
TRANSFER = {"pending": "Chờ trả lời", "accepted": "Đã nhận", "rejected": "Từ chối",
            "cancelled": "Đã hủy"}
ANSWER = {"yes": "Có", "no": "Không", "unsure": "Không rõ"}
TIMEFRAME = {"now": "Ngay bây giờ", "today": "Trong hôm nay", "later": "Sau này",
             "none": "Không có", "unsure": "Không rõ"}
PLACE_LEVEL = {"not_shared": "Trẻ không muốn nói", "province": "Tỉnh/thành",
               "district": "Quận/huyện", "commune": "Xã/phường", "address": "Địa chỉ cụ thể"}
CANNED_GROUP = {"first_contact": "Chào hỏi", "safety_check": "Hỏi an toàn",
                "support": "Trấn an", "hotline": "111 / 113", "closing": "Kết thúc"}
NOTE_KIND = {"note": "Ghi chú", "whisper": "Giám sát viên nhắn riêng"}
CASE_ERRORS = {
    "case_closed": "Ca đã đóng.",
    "taken_by_other": "Ca đã có tư vấn viên khác nhận.",
    "accept_first": "Hãy nhận ca trước.",
    "handed_back": "Cuộc trò chuyện đã được trả lại cho bot. Bấm \"Tiếp tục trò chuyện\" "
                   "để nói tiếp.",
    "close_first": "Hãy đóng ca trước khi lưu trữ.",
    "supervisors_only": "Chỉ giám sát viên được làm việc này.",
    "unknown_category": "Phân loại không hợp lệ.",
    "unknown_service": "Đơn vị chuyển tuyến không hợp lệ.",
    "unknown_status": "Trạng thái không hợp lệ.",
    "step_not_allowed": "Ca chỉ đi tiếp theo các bước, không quay lại bước trước.",
    "closing_message_needed": "Hãy viết lời chào kết thúc gửi cho trẻ trước khi trả lại cho bot.",
    "reason_needed": "Hãy ghi lý do.",
    "invalid_assessment": "Hãy trả lời đủ các câu hỏi đánh giá nguy cơ.",
    "invalid_follow_up": "Ngày hẹn theo dõi phải là một thời điểm sắp tới (trong vòng một năm).",
    "transfer_pending": "Ca đang chờ người được chuyển trả lời.",
    "no_transfer": "Không có yêu cầu chuyển ca nào đang chờ bạn.",
    "bad_transfer_target": "Hãy chọn một tư vấn viên hoặc giám sát viên khác đang hoạt động.",
    "review_handled": "Mục này đã được xử lý.",
    "not_found": "Không tìm thấy.",
}


def case_error(code: str) -> str:
    """A transition's error, by its code, in Vietnamese."""
    return CASE_ERRORS.get(code, "Không thực hiện được thao tác với ca ở trạng thái hiện tại.")


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
        "step": STEP,
        "referral_status": REFERRAL_STATUS,
        "transfer": TRANSFER,
        "answer": ANSWER,
        "timeframe": TIMEFRAME,
        "place_level": PLACE_LEVEL,
        "canned_group": CANNED_GROUP,
        "note_kind": NOTE_KIND,
    }
