"""Peer harness: runs ROS 1 message_filters' Python ApproximateTimeSynchronizer (Debian package
python3-message-filters) on a stamps document and prints the sets it emits, so drivetrain's
`slop` policy can be compared with it set by set.

Usage: /usr/bin/python3 approximate_time_synchronizer.py QUEUE_SIZE SLOP_NS [--timing] < stamps.json
       /usr/bin/python3 approximate_time_synchronizer.py --batch < cases
Input:  {"streams":[{"name":"cam","messages":[{"stamp":"...","logTime":"..."},...]},...]}
Output: {"sets":[["<stamp>",...],...]} and, with --timing, "elapsedNs" for the feed loop alone
        and "maxRssKb", the peak resident memory of the process.
Batch:  pairs of lines, QUEUE_SIZE and SLOP_NS separated by a space and then a stamps document
        on one line; one output line per pair.

Messages are fed in order of log time (ties: stream order, then message order). ROS time is set
to each message's log time before it is fed, as when a recording is replayed with /clock.
"""

import json
import resource
import sys
import time

import message_filters
import rospy
import rospy.rostime


class Header(object):
    __slots__ = ['stamp']

    def __init__(self, stamp):
        self.stamp = stamp


class Stamped(object):
    __slots__ = ['header']

    def __init__(self, stamp):
        self.header = Header(stamp)


def ros_time(ns):
    return rospy.Time(ns // 1000000000, ns % 1000000000)


def run_case(queue_size, slop_ns, document, timing):
    streams = document['streams']
    feed = []
    for stream_index, stream in enumerate(streams):
        for message_index, message in enumerate(stream['messages']):
            log_time = int(message['logTime'])
            feed.append((log_time, stream_index, message_index,
                         Stamped(ros_time(int(message['stamp']))), ros_time(log_time)))
    feed.sort(key=lambda item: (item[0], item[1], item[2]))

    rospy.rostime.set_rostime_initialized(True)
    rospy.rostime._set_rostime(rospy.Time(0))

    inputs = [message_filters.SimpleFilter() for _ in streams]
    slop = rospy.Duration(slop_ns // 1000000000, slop_ns % 1000000000)
    synchronizer = message_filters.ApproximateTimeSynchronizer(inputs, queue_size, slop.to_sec())
    # The constructor turns seconds into a Duration by truncation; set the exact one instead.
    synchronizer.slop = slop
    sets = []
    synchronizer.registerCallback(lambda *msgs: sets.append([m.header.stamp.to_nsec() for m in msgs]))

    start = time.perf_counter_ns()
    for _, stream_index, _, msg, receipt in feed:
        rospy.rostime._set_rostime(receipt)
        inputs[stream_index].signalMessage(msg)
    elapsed = time.perf_counter_ns() - start

    out = {'sets': [[str(s) for s in one] for one in sets]}
    if timing:
        out['elapsedNs'] = elapsed
        out['messages'] = len(feed)
        out['maxRssKb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return json.dumps(out, separators=(',', ':')) + '\n'


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--batch':
        while True:
            args = sys.stdin.readline()
            document = sys.stdin.readline()
            if not document:
                break
            queue_size, slop_ns = (int(word) for word in args.split())
            sys.stdout.write(run_case(queue_size, slop_ns, json.loads(document), False))
            sys.stdout.flush()
        return
    timing = len(sys.argv) > 3 and sys.argv[3] == '--timing'
    sys.stdout.write(run_case(int(sys.argv[1]), int(sys.argv[2]), json.load(sys.stdin), timing))


if __name__ == '__main__':
    main()
