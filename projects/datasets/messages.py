"""Short messages, spam or ham, made up from a seed: a text dataset that works offline
(the "short_messages" dataset, docs/architecture.md, Datasets).

They read like text messages between friends and like the prize, ringtone and loan offers
of an SMS spam corpus: mixed case, abbreviations ("u", "2nite"), phone numbers, prices.
Ham uses words spam uses too ("call", "free", "now", "txt", "reply"), so no single common
word gives the class away; every spam message holds at least one of :data:`SPAM_WORDS`,
which ham never uses. Those are the deciding words a model must attend to. Spam is the
minority class, as in real corpora.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CLASS_NAMES = ["ham", "spam"]
# Words only spam uses: at least one in every spam message, none in ham.
SPAM_WORDS = frozenset({
    "won", "win", "winner", "prize", "claim", "cash", "award", "guaranteed", "ringtone",
    "ringtones", "congratulations", "selected", "bonus", "voucher", "entry", "draw",
    "urgent", "unsubscribe", "subscription", "loan", "debt", "offer", "tones", "jackpot",
    "exclusive", "reward"})

_NAMES = ["Sam", "Alex", "mum", "dad", "Jo", "Kate", "Tom", "Priya", "Ben", "Lucy", "babe",
          "hun", "bro", "Mike", "Anna", "Raj", "Chris", "Emma", "Dan", "Nina"]
_PLACES = ["the pub", "work", "college", "the gym", "town", "the station", "yours", "mine",
           "the library", "the shop", "the cinema", "church", "the bus stop", "uni",
           "the park", "class", "the office", "home", "the caff", "the match"]
_TIMES = ["7", "8", "half 6", "10ish", "5:30", "noon", "9", "4", "eleven", "6pm", "7.15",
          "3pm", "lunch", "tea time"]
_WHEN = ["tonight", "2nite", "tomorrow", "2moro", "later", "today", "this weekend",
         "on sat", "on sunday", "after work", "in a bit", "next week", "this evening"]
_THINGS = ["milk", "bread", "the keys", "my charger", "some food", "the tickets", "a pizza",
           "my bag", "the car", "your notes", "money for the taxi", "some beers", "the dvd"]
_FEELINGS = ["tired", "bored", "so happy", "knackered", "ill", "stressed", "fine", "hungry",
             "sleepy", "excited", "ok", "gutted", "starving"]
_DOING = ["watching tv", "at work", "driving", "in a meeting", "studying", "cooking",
          "on the bus", "in bed", "shopping", "at the gym", "having dinner", "in class"]
_PRIZES = ["£1000", "£2000", "£500", "£250", "£5000", "£100", "$1000", "£900", "£350"]
_REWARDS = ["cash", "prize", "award", "bonus", "voucher", "reward", "jackpot"]
_GIFTS = ["a holiday to Spain", "a new Nokia phone", "an iPod", "a camera phone",
          "2 free tickets", "a Sony DVD player", "a mobile upgrade", "a weekend break",
          "a shopping spree"]
_SPAM_OPENERS = ["URGENT!", "Congratulations!", "Urgent!", "WINNER!!", "FREE MSG:",
                 "Congratulations ur", "Final notice:", "Exclusive offer:", "IMPORTANT:"]
_CLOSERS = ["T&C apply", "T&Cs www.txt2win.co.uk", "18+ only", "150p/msg", "£1.50/wk",
            "Std txt rate", "SAE for T&Cs", "Box 334 SK38", "cost 10p/min", "Opt out: STOP"]


def _number(rng: np.random.Generator) -> str:
    return "0906" + "".join(str(d) for d in rng.integers(0, 10, 7))


def _short(rng: np.random.Generator) -> str:
    return str(int(rng.integers(80000, 89999)))


def _pence(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(1, 6)) * 50}p"


def _code(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNPRSTWXYZ"
    return "".join(letters[i] for i in rng.integers(0, len(letters), 3)) + str(
        int(rng.integers(1, 99)))


Pick = Callable[[list[str]], str]

_HAM: list[Callable[[Pick, np.random.Generator], str]] = [
    lambda p, r: f"Are you coming to {p(_PLACES)} {p(_WHEN)}?",
    lambda p, r: f"Ok {p(_NAMES)}, see you at {p(_TIMES)}",
    lambda p, r: f"Sorry, I'm {p(_DOING)}. I'll call you {p(_WHEN)}",
    lambda p, r: f"Can you pick up {p(_THINGS)} on the way home?",
    lambda p, r: f"Happy birthday {p(_NAMES)}! Have a great day x",
    lambda p, r: f"I'm at {p(_PLACES)}, where are u?",
    lambda p, r: "lol that's so funny",
    lambda p, r: f"Did you get my message? Call me when you're free {p(_WHEN)}",
    lambda p, r: "Dinner's ready, come down now",
    lambda p, r: f"Going to sleep now, night {p(_NAMES)}",
    lambda p, r: f"{p(_NAMES)} says the party is at {p(_TIMES)} {p(_WHEN)}",
    lambda p, r: f"Meeting moved to {p(_TIMES)}, txt me if you can't make it",
    lambda p, r: f"I'm so {p(_FEELINGS)} today. How are you?",
    lambda p, r: f"Don't forget {p(_THINGS)}!",
    lambda p, r: f"Are you free {p(_WHEN)}? Fancy {p(_PLACES)}?",
    lambda p, r: f"Thanks for {p(_THINGS)}, you're a star",
    lambda p, r: f"Just got to {p(_PLACES)}. Running {int(r.integers(5, 30))} mins late sorry",
    lambda p, r: f"Haha ok. What time {p(_WHEN)}?",
    lambda p, r: f"Can't talk now, {p(_DOING)}. Reply later",
    lambda p, r: f"Hey {p(_NAMES)} how was {p(_PLACES)}?",
    lambda p, r: f"K. I'll be home by {p(_TIMES)}",
    lambda p, r: f"Where did you leave {p(_THINGS)}?",
    lambda p, r: f"I got the text, thanks. See you {p(_WHEN)}",
    lambda p, r: f"Call me now pls, it's about {p(_THINGS)}",
    lambda p, r: f"Miss you {p(_NAMES)}. Can't wait to see u {p(_WHEN)}",
    lambda p, r: f"Is it ok if I stay at {p(_PLACES)} {p(_WHEN)}?",
    lambda p, r: f"The match starts at {p(_TIMES)}, free to watch it with us?",
    lambda p, r: f"Yeah I'm {p(_FEELINGS)}. Text u {p(_WHEN)}",
    lambda p, r: f"Who's going to {p(_PLACES)} {p(_WHEN)}? I need a lift",
    lambda p, r: f"My phone's nearly dead, call {p(_NAMES)} if you need me",
]

# Spam: a hook of deciding words, usually with one of the clauses both classes use.
_SPAM: list[Callable[[Pick, np.random.Generator], str]] = [
    lambda p, r: f"{p(_SPAM_OPENERS)} You have won a {p(_PRIZES)} {p(_REWARDS)}!",
    lambda p, r: f"Congratulations! You've been selected to receive {p(_GIFTS)}.",
    lambda p, r: f"FREE entry into our {p(_PRIZES)} weekly draw.",
    lambda p, r: f"Your mobile number has won {p(_PRIZES)} cash!",
    lambda p, r: "Get the latest ringtones FREE!",
    lambda p, r: f"Final notice: claim your {p(_REWARDS)} today.",
    lambda p, r: f"You are a winner! U have been selected for {p(_GIFTS)}.",
    lambda p, r: f"Need cash fast? Loan of up to {p(_PRIZES)} guaranteed.",
    lambda p, r: f"Your {p(_REWARDS)} of {p(_PRIZES)} is waiting to claim.",
    lambda p, r: f"Exclusive offer: {p(_GIFTS)} for just {_pence(r)}.",
    lambda p, r: f"Urgent! Your mobile has been awarded a {p(_PRIZES)} bonus.",
    lambda p, r: f"Win {p(_GIFTS)} this week!",
    lambda p, r: f"We've been trying to reach you. Claim your {p(_PRIZES)} voucher.",
    lambda p, r: "Debt problems? Write off up to 70% with our free plan.",
    lambda p, r: f"Your subscription to the tones club is {_pence(r)} a week.",
    lambda p, r: "You have 1 new voicemail about your prize.",
    lambda p, r: f"Guaranteed {p(_PRIZES)} jackpot!",
    lambda p, r: f"To unsubscribe from our {p(_REWARDS)} alerts reply STOP.",
]
# Spam that opens as a chat: one short pitch of deciding words among words ham uses too.
_PITCH_OPENERS = ["URGENT!", "Congratulations!", "WINNER!", "Exclusive:", "Bonus:", ""]
_PITCHES: list[Callable[[Pick, np.random.Generator], str]] = [
    lambda p, r: f"{p(_PITCH_OPENERS)} claim your {p(_REWARDS)} now",
    lambda p, r: f"{p(_PITCH_OPENERS)} you won a {p(_PRIZES)} {p(_REWARDS)}",
    lambda p, r: f"{p(_PITCH_OPENERS)} free ringtones for you",
    lambda p, r: f"{p(_PITCH_OPENERS)} a guaranteed loan today",
    lambda p, r: f"{p(_PITCH_OPENERS)} win {p(_GIFTS)}",
    lambda p, r: f"{p(_PITCH_OPENERS)} your {p(_REWARDS)} is waiting",
]
# Clauses of both classes: calls, texts, numbers and prices are no giveaway on their own.
_SHARED: list[Callable[[Pick, np.random.Generator], str]] = [
    lambda p, r: f"Call {_number(r)} now.",
    lambda p, r: f"Call me on {_number(r)}",
    lambda p, r: f"Txt {_code(r)} to {_short(r)}",
    lambda p, r: f"Text {_short(r)} for info",
    lambda p, r: "Pls reply asap",
    lambda p, r: "Reply to this msg",
    lambda p, r: f"It's {p(_PRIZES)} in total.",
    lambda p, r: f"Only {_pence(r)} per week",
    lambda p, r: "Ring me today",
    lambda p, r: "Check ur mobile",
    lambda p, r: f"Free {p(_WHEN)}?",
    lambda p, r: p(_CLOSERS),
    lambda p, r: "Don't miss out!",
    lambda p, r: f"Send it to {p(_NAMES)}",
]


def _styled(text: str, rng: np.random.Generator) -> str:
    """Text messages' own ways: some shouted, some all lower case, some with a typo'd
    "you"."""
    roll = rng.random()
    if roll < 0.06:
        return text.upper()
    if roll < 0.3:
        text = text.lower()
    if rng.random() < 0.3:
        text = text.replace(" you ", " u ").replace(" your ", " ur ")
    return text


def short_messages(count: int, spam_share: float, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``count`` messages (object array of str) and their classes (0 ham, 1 spam); about
    ``spam_share`` of them spam, at least one of each class."""

    def pick(words: list[str]) -> str:
        return words[int(rng.integers(0, len(words)))]

    labels = (rng.random(count) < spam_share).astype(np.int32)
    if count >= 2 and labels.min() == labels.max():  # both classes, however few samples
        labels[:2] = [0, 1]
    def one(templates: list[Callable[[Pick, np.random.Generator], str]]) -> str:
        return templates[int(rng.integers(0, len(templates)))](pick, rng)

    texts = []
    for label in labels.tolist():
        if label and rng.random() < 0.5:  # spam dressed as a chat
            parts = [one(_HAM), one(_PITCHES).strip() + "!"]
            rng.shuffle(parts)
        else:
            parts = [one(_SPAM if label else _HAM)]
        if rng.random() < 0.5:  # chats of two sentences
            parts.insert(int(rng.integers(0, 2)), one(_HAM))
        if rng.random() < 0.6:
            parts.insert(int(rng.integers(0, len(parts) + 1)), one(_SHARED))
        texts.append(_styled(" ".join(parts), rng))
    return np.array(texts, dtype=object), labels
