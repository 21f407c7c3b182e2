import os
import threading

import cv2

from pano_inpaint._threads import thread_count, thread_map


def test_thread_map_keeps_the_order_and_follows_opencvs_thread_count():
    main = threading.get_ident()
    threads = cv2.getNumThreads()
    try:
        for count in (1, 2, 4):
            cv2.setNumThreads(count)
            used = min(count, os.cpu_count() or 1)
            assert thread_count() == used and thread_count(1) == 1 and thread_count(0) == 1
            seen = []
            out = thread_map(lambda i, seen=seen: seen.append(threading.get_ident()) or i * i,
                             range(9))
            assert out == [i * i for i in range(9)]
            # One thread: in order on this one; more: on the pool's, never this one.
            assert (set(seen) == {main}) == (used == 1)
    finally:
        cv2.setNumThreads(threads)
