"""The content's vocabulary: lesson topics, age bands and FAQ categories, with their titles."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Tuple

TOPICS: Tuple[str, ...] = (
    "body_safety",
    "safe_touch",
    "secrets",
    "trusted_adults",
    "say_no",
    "online_safety",
    "strangers",
    "bullying",
    "drowning",
    "road_safety",
    "feelings",
    "violence_at_home",
    "online_scams",
    "substances",
    "puberty",
    "child_rights",
)
TOPIC_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "body_safety": "An toàn cơ thể",
        "safe_touch": "Chạm an toàn, chạm không an toàn",
        "secrets": "Bí mật tốt, bí mật xấu",
        "trusted_adults": "Người lớn tin cậy",
        "say_no": "Nói KHÔNG – Chạy đi – Kể lại",
        "online_safety": "An toàn trên mạng",
        "strangers": "Người lạ và dụ dỗ",
        "bullying": "Bắt nạt",
        "drowning": "Phòng đuối nước",
        "road_safety": "An toàn giao thông",
        "feelings": "Cảm xúc và tìm giúp đỡ khi buồn",
        "violence_at_home": "Khi ở nhà không an toàn",
        "online_scams": "Lừa đảo và “bắt cóc online”",
        "substances": "Ma túy, rượu bia, thuốc lá điện tử",
        "puberty": "Cơ thể em lớn lên – Tuổi dậy thì",
        "child_rights": "Quyền trẻ em",
    }
)
AGE_BANDS: Tuple[str, ...] = ("6-10", "11-15")
QUIZ_AGE_BANDS: Tuple[str, ...] = AGE_BANDS + ("all",)
FAQ_CATEGORIES: Tuple[str, ...] = (
    "signs_of_abuse",
    "talking_with_children",
    "body_safety",
    "online_safety",
    "grooming",
    "discipline",
    "law",
    "reporting",
    "hotlines",
    "disclosure",
    "confidentiality",
    "injury_prevention",
    "child_labour",
    "bullying",
    "trafficking",
    "justice",
    "family",
    "mental_health",
    "substances",
    "puberty_sexual_health",
)
FAQ_CATEGORY_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "signs_of_abuse": "Dấu hiệu trẻ bị xâm hại",
        "talking_with_children": "Trò chuyện với con",
        "body_safety": "Dạy con an toàn cơ thể",
        "online_safety": "An toàn trên mạng",
        "grooming": "Dụ dỗ, lừa đảo, tống tiền trên mạng",
        "discipline": "Dạy con không dùng bạo lực",
        "law": "Pháp luật về trẻ em",
        "reporting": "Báo tin, tố giác",
        "hotlines": "Tổng đài, đường dây nóng",
        "disclosure": "Khi con kể chuyện bị xâm hại",
        "confidentiality": "Bảo mật thông tin của trẻ",
        "injury_prevention": "Phòng đuối nước, tai nạn thương tích",
        "child_labour": "Lao động trẻ em",
        "bullying": "Bắt nạt",
        "trafficking": "Mua bán người",
        "justice": "Công an, tòa án và trợ giúp pháp lý",
        "family": "Gia đình, ly hôn và bạo lực gia đình",
        "mental_health": "Sức khỏe tinh thần của con",
        "substances": "Ma túy, rượu bia, thuốc lá điện tử",
        "puberty_sexual_health": "Dậy thì và sức khỏe sinh sản",
    }
)
# The children's lesson closest to each FAQ category: a child who asks a parents' question is
# offered this lesson (hotlines get the hotline answer instead).
FAQ_CATEGORY_LESSON: Mapping[str, str] = MappingProxyType(
    {
        "signs_of_abuse": "safe_touch",
        "talking_with_children": "trusted_adults",
        "body_safety": "body_safety",
        "online_safety": "online_safety",
        "grooming": "online_safety",
        "discipline": "violence_at_home",
        "law": "child_rights",
        "reporting": "trusted_adults",
        "disclosure": "secrets",
        "confidentiality": "child_rights",
        "injury_prevention": "drowning",
        "child_labour": "child_rights",
        "bullying": "bullying",
        "trafficking": "strangers",
        "justice": "child_rights",
        "family": "violence_at_home",
        "mental_health": "feelings",
        "substances": "substances",
        "puberty_sexual_health": "puberty",
    }
)
