"""Tasks: a seeded BBH-style object-counting generator, and tasks from user JSONL files."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textgrad_sci.engines.base import OutputSpec

from . import tasks_prompts as prompts
from .checkers import Checker, get_checker
from .data import Example, load_jsonl, split

CATEGORIES: dict[str, tuple[str, ...]] = {
    "musical instruments": (
        "piano",
        "flute",
        "trombone",
        "violin",
        "accordion",
        "clarinet",
        "drum",
        "trumpet",
        "cello",
        "guitar",
    ),
    "fruits": (
        "apple",
        "banana",
        "peach",
        "plum",
        "grape",
        "orange",
        "nectarine",
        "strawberry",
        "blackberry",
        "raspberry",
    ),
    "vegetables": (
        "carrot",
        "onion",
        "potato",
        "cabbage",
        "yam",
        "garlic",
        "lettuce head",
        "stalk of celery",
        "head of broccoli",
        "cauliflower",
    ),
    "animals": ("cat", "dog", "rabbit", "goat", "cow", "pig", "duck", "chicken", "mouse", "fish"),
    "objects": (
        "chair",
        "table",
        "bed",
        "lamp",
        "couch",
        "stove",
        "oven",
        "microwave",
        "toaster",
        "car",
    ),
}
PLURALS = {
    "mouse": "mice",
    "fish": "fish",
    "peach": "peaches",
    "strawberry": "strawberries",
    "blackberry": "blackberries",
    "raspberry": "raspberries",
    "potato": "potatoes",
    "lettuce head": "lettuce heads",
    "stalk of celery": "stalks of celery",
    "head of broccoli": "heads of broccoli",
    "couch": "couches",
}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six")

# Objects to count: "O" stands for a "how many objects" question over every category.
OPENINGS = (
    "I have {items}.",
    "I've got {items}.",
    "On my table there are {items}.",
    "My friend gave me {items}.",
    "In my house I keep {items}.",
)
QUESTIONS = (
    "How many {category} do I have?",
    "How many {category} are there in total?",
    "What is the total number of {category}?",
    "Count the {category}: how many are there?",
)


def _phrase(name: str, count: int) -> str:
    if count == 1:
        return ("an " if name[0] in "aeiou" else "a ") + name
    plural = PLURALS.get(name, name + "s")
    return f"{NUMBER_WORDS[count]} {plural}"


def _join(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def counting_question(rng: random.Random) -> Example:
    """One question: items of a target category mixed with distractors; the answer counts them."""
    category = rng.choice(sorted(CATEGORIES))
    others = [c for c in sorted(CATEGORIES) if c != category]
    targets = rng.sample(CATEGORIES[category], rng.randint(2, 6))
    distractors = [rng.choice(CATEGORIES[rng.choice(others)]) for _ in range(rng.randint(0, 3))]
    items = [(name, rng.choice((1, 1, 1, 2, 3))) for name in targets]
    items += [(name, rng.choice((1, 1, 2))) for name in dict.fromkeys(distractors)]
    rng.shuffle(items)
    text = rng.choice(OPENINGS).format(items=_join([_phrase(n, c) for n, c in items]))
    question = f"{text} {rng.choice(QUESTIONS).format(category=category)}"
    answer = sum(c for n, c in items if n in CATEGORIES[category])
    return Example(question, str(answer))


def object_counting(n: int = 100, seed: int = 0) -> list[Example]:
    """``n`` distinct object-counting questions; the same seed always gives the same list."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = random.Random(seed)
    seen: dict[str, Example] = {}
    attempts = 0
    while len(seen) < n:
        attempts += 1
        if attempts > 50 * n:
            raise ValueError(f"could not generate {n} distinct questions")
        ex = counting_question(rng)
        seen.setdefault(ex.question, ex)
    return list(seen.values())


@dataclass
class PromptTask:
    """A dataset split three ways, with its checker, starting prompt and answer format."""

    name: str
    train: list[Example]
    val: list[Example]
    test: list[Example]
    checker: Checker
    initial_prompt: str = prompts.INITIAL_PROMPT
    answer_spec: OutputSpec | None = None
    describe: dict = field(default_factory=dict)


# For grammar-decoding engines: an optional short line of reasoning, then "Answer: <number>".
NUMERIC_ANSWER_GBNF = (
    'root ::= (reason "\\n")? "Answer: " [0-9] [0-9]?\nreason ::= [^\\n0-9] [^\\n]{0,120}\n'
)
CHOICE_ANSWER_GBNF = 'root ::= "Answer: (" [A-J] ")"\n'
ANSWER_GRAMMARS = {"numeric": NUMERIC_ANSWER_GBNF, "choice": CHOICE_ANSWER_GBNF}


def load_task(
    task: str | None = None,
    dataset: str | Path | None = None,
    *,
    checker: str | Checker | None = None,
    sizes: Sequence[float] = (0.3, 0.35, 0.35),
    n: int = 100,
    seed: int = 0,
    initial_prompt: str | None = None,
    constrained: bool = True,
) -> PromptTask:
    """The generated ``object-counting`` task, or a JSONL ``dataset`` (checker default: choice
    when every example has choices, else exact).

    ``sizes`` are the train/val/test parts (counts or fractions); ``constrained`` asks grammar
    engines to end with ``Answer: ...`` for numeric and choice tasks.
    """
    if (task is None) == (dataset is None):
        raise ValueError("give either a task name or a dataset file")
    if task is not None:
        if task != "object-counting":
            raise ValueError(f"unknown task {task!r}: the built-in task is object-counting")
        examples, checker, name = object_counting(n, seed), checker or "numeric", task
    else:
        examples, name = load_jsonl(dataset), Path(dataset).stem
        checker = checker or ("choice" if all(e.choices for e in examples) else "exact")
    train, val, test = split(examples, sizes, seed)
    if not train or not val:
        raise ValueError(f"the split {list(sizes)} left no training or validation examples")
    kind = checker if isinstance(checker, str) else "custom"
    grammar = ANSWER_GRAMMARS.get(kind) if constrained else None
    return PromptTask(
        name=name,
        train=train,
        val=val,
        test=test,
        checker=get_checker(checker),
        initial_prompt=initial_prompt
        or prompts.INITIAL_PROMPTS.get(kind, prompts.INITIAL_PROMPTS["exact"]),
        answer_spec=OutputSpec(grammar=grammar) if grammar else None,
        describe={
            "task": name,
            "dataset": str(dataset) if dataset else None,
            "checker": checker if isinstance(checker, str) else getattr(checker, "__name__", "?"),
            "sizes": [len(train), len(val), len(test)],
            "seed": seed,
        },
    )
