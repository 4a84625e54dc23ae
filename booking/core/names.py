"""People's names and positions in running text: how to address a citizen, a position mid-sentence."""
import re

# Endings of Russian (and, written in Russian, Azerbaijani and Turkic) patronymics.
PATRONYMIC_ENDINGS = ("вич", "вна", "ична", "оглы", "кызы")
_WORD = re.compile(r"^[^\W\d_]+(?:-[^\W\d_]+)*$")


def name_and_patronymic(full_name):
    """«Мария Сергеевна» from «Смирнова Мария Сергеевна»; None when the parts cannot be told apart.

    Only a full name of three words (surname, first name, patronymic) whose last
    word ends as a patronymic does: «Петров Пётр» or «Мария Сергеевна Смирнова» do not.
    """
    words = (full_name or "").split()
    if len(words) != 3 or not all(_WORD.match(word) for word in words):
        return None
    patronymic = words[2].lower()
    if not any(patronymic.endswith(ending) and len(patronymic) > len(ending) for ending in PATRONYMIC_ENDINGS):
        return None
    return f"{words[1]} {words[2]}"


def lower_first(text):
    """«директор филиала» from «Директор филиала», for a position in the middle of a sentence.

    An abbreviation («ГИП», «IT-директор») keeps its capitals.
    """
    if not text:
        return text or ""
    first_word = text.split()[0]
    if len(first_word) > 1 and first_word[1].isupper():
        return text
    return text[0].lower() + text[1:]


def upper_first(text):
    """«Директор филиала» from «директор филиала», for a position that starts a line."""
    return text[0].upper() + text[1:] if text else (text or "")
