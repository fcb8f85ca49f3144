#include "stages/standard_stages.hpp"

#include "stages/dnat_stage.hpp"
#include "stages/egress_stage.hpp"
#include "stages/ingress_stage.hpp"
#include "stages/ipsec_inbound_stage.hpp"
#include "stages/ipsec_stage.hpp"
#include "stages/route_stage.hpp"
#include "stages/security_policy_stage.hpp"
#include "stages/server_map_stage.hpp"
#include "stages/session_stage.hpp"
#include "stages/snat_stage.hpp"
#include "stages/tcp_mss_stage.hpp"
#include "stages/traffic_policy_stage.hpp"

namespace vfw {

std::vector<std::unique_ptr<Stage>> standard_stages() {
  std::vector<std::unique_ptr<Stage>> stages_;
  stages_.push_back(std::make_unique<IngressStage>());
  stages_.push_back(std::make_unique<IpsecInboundStage>());
  stages_.push_back(std::make_unique<SessionStage>());
  stages_.push_back(std::make_unique<ServerMapStage>());
  stages_.push_back(std::make_unique<DnatStage>());
  stages_.push_back(std::make_unique<RouteStage>());
  stages_.push_back(std::make_unique<SecurityPolicyStage>());
  stages_.push_back(std::make_unique<TrafficPolicyStage>());
  stages_.push_back(std::make_unique<SnatStage>());
  stages_.push_back(std::make_unique<TcpMssStage>());
  stages_.push_back(std::make_unique<IpsecStage>());
  stages_.push_back(std::make_unique<EgressStage>());
  return stages_;
}

}  // namespace vfw
