class Solution:
    def max_coins(self, nums: list[int]) -> int:
        vals = [1] + nums + [1]
        n = len(vals)
        dp = [[0] * n for _ in range(n)]
        for length in range(2, n):
            for left in range(0, n - length):
                right = left + length
                dp[left][right] = max(
                    vals[left] * vals[i] * vals[right] + dp[left][i] + dp[i][right]
                    for i in range(left + 1, right)
                )
        return dp[0][n - 1]
