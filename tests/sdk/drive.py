"""Calls a gateway with the official Alibaba Cloud Python SDKs, unmodified,
and prints what the SDK returned or raised as one JSON line.

    python drive.py ENDPOINT SCENARIO ARGS-AS-JSON

ENDPOINT is host:port (plain HTTP). The scenarios are the calls the
gateway's tests make; see the functions below. Only the SDKs' public
clients are used, except where a scenario says otherwise: to replay a nonce
or send a stale timestamp, the V3 SDK's own nonce and clock functions are
replaced, since the SDK offers no option for a misbehaving client.
"""

import json
import sys
import time


def v3_config(endpoint, key, secret):
    from alibabacloud_tea_openapi.models import Config

    return Config(access_key_id=key, access_key_secret=secret, endpoint=endpoint,
                  protocol="http", region_id="cn-hangzhou")


def v3_error(error):
    """What a V3 SDK exception says: code, message, status and the body."""
    data = getattr(error, "data", None) or {}
    return {"raised": type(error).__name__, "code": getattr(error, "code", None),
            "message": getattr(error, "message", None), "status": data.get("statusCode"), "data": data}


def delete_ipsec_server(endpoint, args):
    """V3: DeleteIpsecServer, with DryRun and ClientToken when given."""
    from alibabacloud_vpc20160428.client import Client
    from alibabacloud_vpc20160428.models import DeleteIpsecServerRequest

    client = Client(v3_config(endpoint, args["key"], args["secret"]))
    request = DeleteIpsecServerRequest(region_id="cn-hangzhou", ipsec_server_id=args["server"],
                                       dry_run=args.get("dry_run"), client_token=args.get("client_token"))
    results = []
    for _ in range(args.get("times", 1)):
        try:
            response = client.delete_ipsec_server(request)
            results.append({"status": response.status_code, "body": response.body.to_map()})
        except Exception as error:  # the SDK raises its own exception types
            results.append(v3_error(error))
    return results


def revoke_instance(endpoint, args):
    """V3: RevokeInstanceFromExpressConnectRouter for one instance."""
    from alibabacloud_expressconnectrouter20230901.client import Client
    from alibabacloud_expressconnectrouter20230901.models import RevokeInstanceFromExpressConnectRouterRequest

    client = Client(v3_config(endpoint, args["key"], args["secret"]))
    request = RevokeInstanceFromExpressConnectRouterRequest(
        ecr_id="ecr-mezk2idmsd0vx2", ecr_owner_ali_uid=1210123456123456, instance_id=args["instance"],
        instance_type=args["type"], instance_region_id="cn-hangzhou", dry_run=False)
    try:
        response = client.revoke_instance_from_express_connect_router(request)
        return {"status": response.status_code, "body": response.body.to_map()}
    except Exception as error:
        return v3_error(error)


def replayed_nonce(endpoint, args):
    """V3: two calls with one nonce, as a replaying client would send them."""
    from alibabacloud_tea_openapi.utils import Utils

    Utils.get_nonce = staticmethod(lambda: "0123456789abcdef0123456789abcdef")
    return delete_ipsec_server(endpoint, {**args, "times": 2})


def stale_timestamp(endpoint, args):
    """V3: a call signed 20 minutes ago."""
    from alibabacloud_tea_openapi.utils import Utils

    Utils.get_timestamp = staticmethod(lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1200)))
    return delete_ipsec_server(endpoint, args)


def v1_delete_vpn_connection(endpoint, args):
    """V1 (aliyun-python-sdk-core): DeleteVpnConnection. The core SDK's
    exception keeps only code and message, so the answer's body is read
    with the client's own request path too."""
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkvpc.request.v20160428.DeleteVpnConnectionRequest import DeleteVpnConnectionRequest

    client = AcsClient(args["key"], args["secret"], "cn-hangzhou")
    request = DeleteVpnConnectionRequest()
    request.set_VpnConnectionId(args["connection"])
    request.set_endpoint(endpoint)
    request.set_protocol_type("http")
    result = {}
    try:
        body = client.do_action_with_exception(request)
        result["body"] = json.loads(body)
    except Exception as error:
        result["raised"] = type(error).__name__
        result["code"] = error.get_error_code()
        result["message"] = error.get_error_msg()
        result["status"] = error.get_http_status() if hasattr(error, "get_http_status") else None
    status, _headers, body, _error = client._implementation_of_do_action(request)
    result["raw_status"] = status
    result["raw_body"] = json.loads(body) if body else None
    return result


SCENARIOS = {f.__name__: f for f in [delete_ipsec_server, revoke_instance, replayed_nonce, stale_timestamp,
                                     v1_delete_vpn_connection]}

if __name__ == "__main__":
    endpoint, scenario, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(SCENARIOS[scenario](endpoint, arguments)))
