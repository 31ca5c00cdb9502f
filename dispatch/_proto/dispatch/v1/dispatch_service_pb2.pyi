from dispatch._proto.dispatch.v1 import emergency_pb2 as _emergency_pb2
from dispatch._proto.dispatch.v1 import jobs_pb2 as _jobs_pb2
from dispatch._proto.dispatch.v1 import replanning_pb2 as _replanning_pb2
from dispatch._proto.dispatch.v1 import routing_pb2 as _routing_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
