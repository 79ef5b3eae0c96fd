"""TextGrad's ``Dataset`` and ``DataLoader``, and a list-backed dataset."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np


class Dataset(ABC):
    """A dataset: ``len(ds)`` and ``ds[i]`` (TextGrad's abstract base, for your own datasets)."""

    @abstractmethod
    def __getitem__(self, index: int) -> Any: ...

    @abstractmethod
    def __len__(self) -> int: ...


class ListDataset(Dataset):
    """Items held in a list (``(question, answer)`` pairs for the training tasks), with the
    task's starting instruction."""

    def __init__(self, items: Sequence[Any], task_description: str = "", name: str = ""):
        self.items = list(items)
        self._task_description = task_description
        self.name = name

    def __getitem__(self, index: int) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def get_task_description(self) -> str:
        return self._task_description

    get_default_task_instruction = get_task_description

    def __repr__(self) -> str:
        return f"ListDataset({self.name!r}, {len(self.items)} items)"


class DataLoader:
    """Batches of ``batch_size`` items; tuple items come as a tuple of columns
    (``for xs, ys in loader``). ``shuffle`` uses numpy's global generator, as TextGrad does, so
    ``np.random.seed`` makes the order reproducible."""

    def __init__(self, data: Any, batch_size: int = 32, shuffle: bool = True):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.indices = np.arange(len(data))
        self.current_index = 0

    def __iter__(self) -> DataLoader:
        if self.shuffle:
            np.random.shuffle(self.indices)
        self.current_index = 0
        return self

    def __next__(self) -> Any:
        if self.current_index >= len(self.data):
            raise StopIteration
        chosen = self.indices[self.current_index : self.current_index + self.batch_size]
        batch = [self.data[int(i)] for i in chosen]
        self.current_index += self.batch_size
        if isinstance(batch[0], tuple):
            return tuple(zip(*batch, strict=True))
        return batch

    def __len__(self) -> int:
        return -(-len(self.data) // self.batch_size)
