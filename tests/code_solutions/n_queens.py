class Solution:
    def solve_n_queens(self, n: int) -> list[list[str]]:
        out, cols = [], []

        def place(row, used, diag, anti):
            if row == n:
                out.append(["." * c + "Q" + "." * (n - c - 1) for c in cols])
                return
            for c in range(n):
                if c in used or row - c in diag or row + c in anti:
                    continue
                cols.append(c)
                place(row + 1, used | {c}, diag | {row - c}, anti | {row + c})
                cols.pop()

        place(0, frozenset(), frozenset(), frozenset())
        return out
