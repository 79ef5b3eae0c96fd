class Solution:
    def calculate_minimum_hp(self, dungeon: list[list[int]]) -> int:
        rows, cols = len(dungeon), len(dungeon[0])
        inf = float("inf")
        need = [[inf] * (cols + 1) for _ in range(rows + 1)]
        need[rows][cols - 1] = need[rows - 1][cols] = 1
        for r in range(rows - 1, -1, -1):
            for c in range(cols - 1, -1, -1):
                need[r][c] = max(1, min(need[r + 1][c], need[r][c + 1]) - dungeon[r][c])
        return int(need[0][0])
