"""MiB/s of the Python `minio` client (the old suite's client) putting and getting objects of
the given sizes on an S3 endpoint, sequentially. Keys come from the environment
(MINIO_ACCESS_KEY, MINIO_SECRET_KEY), never from the command line.

usage: minio_client_throughput.py ENDPOINT BUCKET OBJECTS REPEAT SIZE_BYTES...
puts then gets OBJECTS objects of each size, REPEAT times, and prints one JSON line per size
with the median repetition: {"size":..,"put_mibps":..,"get_mibps":..}
"""
import io
import json
import os
import statistics
import sys
import time

from minio import Minio


def main():
    endpoint, bucket, objects, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sizes = [int(s) for s in sys.argv[5:]]
    host = endpoint.replace("http://", "").replace("https://", "")
    client = Minio(host, access_key=os.environ["MINIO_ACCESS_KEY"], secret_key=os.environ["MINIO_SECRET_KEY"],
                   secure=endpoint.startswith("https://"))
    for size in sizes:
        data = os.urandom(size)
        keys = [f"minio-bench/{size}/{i}" for i in range(objects)]
        mib = size * objects / (1024 * 1024)
        puts, gets = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            for key in keys:
                client.put_object(bucket, key, io.BytesIO(data), length=size)
            puts.append(mib / (time.perf_counter() - started))
            started = time.perf_counter()
            for key in keys:
                response = client.get_object(bucket, key)
                body = response.read()
                response.close()
                response.release_conn()
                assert len(body) == size
            gets.append(mib / (time.perf_counter() - started))
            for key in keys:
                client.remove_object(bucket, key)
        print(json.dumps({"size": size, "put_mibps": statistics.median(puts),
                          "get_mibps": statistics.median(gets)}), flush=True)

if __name__ == "__main__":
    main()
