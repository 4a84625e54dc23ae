"""How a citizen is greeted and how a position reads inside a sentence."""
import pytest

from booking.core.names import lower_first, name_and_patronymic, upper_first


@pytest.mark.parametrize("full_name, expected", [
    ("Смирнова Мария Сергеевна", "Мария Сергеевна"),
    ("Петров Пётр Петрович", "Пётр Петрович"),
    ("  Карпов   Алексей  Викторович ", "Алексей Викторович"),
    ("Римская-Корсакова Анна Ильинична", "Анна Ильинична"),
    ("Мамедов Рашид оглы", None),  # «оглы» alone is no patronymic of three words
    ("Алиев Рашид Мамедоглы", "Рашид Мамедоглы"),
    ("Гасанова Лейла Алиевна", "Лейла Алиевна"),
    ("Петров Пётр", None),
    ("Мария Сергеевна Смирнова", None),
    ("Ivanov Ivan Ivanovich", None),
    ("Петров 2 Петрович", None),
    ("", None),
])
def test_name_and_patronymic_only_when_the_parts_can_be_told_apart(full_name, expected):
    assert name_and_patronymic(full_name) == expected


def test_a_position_reads_lower_case_mid_sentence_and_capitalised_at_line_start():
    assert lower_first("Директор филиала") == "директор филиала"
    assert lower_first("ГИП отдела") == "ГИП отдела"
    assert lower_first("") == ""
    assert upper_first("начальник отдела расчётов") == "Начальник отдела расчётов"
    assert upper_first("") == ""
