"""Realistic citizen complaint texts (title and description) for every leaf of the built-in taxonomy.

Why: the classifier of issue 4 is trained and evaluated on the deployment's own registered cases, so the demo's
history must read like a real 12345 hotline and grid-patrol log: many ways to say the same thing (synonyms,
colloquial phrasing, the operator's formal summary), places and times, and the noise that makes categories
overlap (two problems in one call, short or vague reports, keywords shared between neighbouring leaves such as
井盖 or 噪音). A classifier trained on these should score well, not perfectly.

Pure and deterministic: `compose(code, rng, ...)` draws only from the `random.Random` it is given.
Spec lines: ``code|subjects|problems|effects|places``, each field ``;``-separated. Places are keys of `PLACES`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SPECS = """
BJ0101|上水井盖;自来水井盖;自来水表井的盖子;供水井盖|破了一个角;不见了;松动踩上去会翻;被车压碎了;比路面低了一截|行人容易踩空;晚上看不清很危险;小孩子经过很危险|road;estate
BJ0102|污水井盖;下水道井盖;污水检查井盖|破损;缺了一块;车一压就哐当响;移位了;盖子没盖严|晚上车开过哐哐响吵得睡不着;有臭味冒出来;怕有人掉下去|road;estate
BJ0103|雨水井盖;窨井盖;路边的井盖|破了;整个盖子不见了;塌下去了;被撬走了|电动车骑过去容易摔;存在安全隐患;已经有人崴了脚|road;estate
BJ0104|雨水箅子;下水口的铁箅子;路边排水口;雨水口|被垃圾堵死了;箅子断了;不见了;缝太大自行车轮会卡进去|一下雨就积水;容易绊倒行人;排水不畅|road;estate
BJ0105|电力井盖;电缆井盖;电力检修井盖|破裂;缺失;翘起来了;盖板松动|存在触电隐患;车辆经过有危险;晚上很危险|road
BJ0106|通信井盖;电信井盖;光缆井盖;移动的井盖|破损;丢失了;翘起来;塌陷|行人容易绊倒;存在安全隐患;车辆经过颠簸|road;estate
BJ0107|燃气井盖;煤气井盖;燃气阀门井盖|破损;不见了;松动移位;周边有点异味|怕出安全事故;存在燃气安全隐患;很危险|road;estate
BJ0108|消火栓;消防栓;路边的消防水龙头|一直在漏水;被撞歪了;被人圈起来占用;阀门坏了|浪费水资源;万一着火用不了;路面一直湿滑|road;estate
BJ0109|路灯;路边的灯;小区门口的路灯;灯杆|不亮;晚上一闪一闪的;好几盏都坏了;歪了;线头露在外面|晚上走路看不清;老人晚上出门不安全;晚上一片漆黑|road;estate;village
BJ0110|配电箱;变压器;路边电箱;箱式变电站|箱门没关掉了下来;外壳破了;电线裸露;发出嗡嗡声还冒火花|怕小孩子碰到触电;存在漏电隐患;很不安全|road;estate
BJ0111|监控摄像头;电子眼;路口的探头;公共监控|歪掉了;坏了好久;被树枝挡住了;一直不亮灯像是离线|出了事查不到;电动车被偷了调不到监控;治安存在隐患|road;estate
BJ0201|红绿灯;交通信号灯;路口信号灯;人行横道的红绿灯|不亮了;一直黄灯闪;时间设置不合理;被撞倒了|车辆行人抢行很危险;路口堵得厉害;差点出交通事故|road;school
BJ0202|交通标志牌;限速牌;指示牌;禁停标志|被撞歪了;被树挡住看不见;掉下来了;字都褪色了|司机看不到容易走错;存在安全隐患;容易违章|road
BJ0203|道路护栏;中间的隔离栏;隔离护栏;防撞栏|被撞坏了;倒在路上;缺了一段;歪歪扭扭|有人翻越很危险;影响车辆通行;存在交通隐患|road
BJ0204|路名牌;门牌;地名牌;门牌号|掉了;写错了;字看不清;被广告遮住|外卖快递找不到地方;来访的人找不到;不方便|road;estate;village
BJ0205|公交站亭;公交站牌;候车亭;站台的座椅|玻璃碎了;站牌信息是旧的;顶棚漏雨;广告灯箱坏了|等车的人淋雨;碎玻璃容易划伤人;乘客看不到线路|road;station
BJ0206|人行道板;人行道地砖;盲道;人行道|地砖松动一踩就溅水;翘起来好几块;盲道被破坏;破了一大片|老人容易摔跤;下雨天溅一身泥水;盲人没法走|road;estate
BJ0207|路面;马路;车行道;道路|有一个大坑;坑坑洼洼;沉下去了一块;裂开了|电动车骑过去差点摔倒;车开过去颠得厉害;下雨积水看不见坑|road;village
BJ0208|人行天桥;地下通道;过街天桥|灯坏了黑乎乎的;台阶破了;扶手松动;地面积水|晚上过去害怕;老人上下不安全;通行不便|road;station
BJ0301|公共厕所;公厕;路边的厕所;菜场边上的公厕|没有水冲;很脏很臭;门锁坏了;白天也不开门|气味很大;游客找不到能用的厕所;卫生状况很差|road;park;market
BJ0302|化粪池;化粪池盖板;小区化粪池|满出来了;往外冒粪水;盖板破了;臭气熏天|整个楼道都是臭味;污水流到路上;怕有人掉下去|estate;home
BJ0303|垃圾房;垃圾中转站;小区垃圾站;垃圾收集点|门坏了关不上;周边污水横流;味道很大;墙体破损|夏天苍蝇蚊子特别多;熏得窗户都不敢开;影响居民生活|estate;road
BJ0304|果皮箱;路边垃圾桶;垃圾箱|不见了;破了个洞;被撞翻了;盖子掉了|垃圾没地方扔;垃圾散落一地;影响市容|road;park
BJ0305|分类垃圾桶;四色垃圾桶;垃圾分类桶;厨余垃圾桶|少了一个;盖子坏了;标识看不清;被人拖走了|没法分类投放;垃圾混在一起;居民投放不方便|estate;home
BJ0306|广告牌;户外广告;楼顶的灯箱;店招;大招牌|松动摇摇晃晃;被风吹坏了一半挂着;铁架锈穿了;螺丝掉了|刮风怕掉下来砸到人;存在坠落隐患;下面人来人往很危险|road;shop
BJ0307|景观灯;亮化灯;楼体亮化;桥上的灯带|不亮了;一半亮一半不亮;线路外露;一直闪|晚上黑乎乎的;影响夜景;存在漏电隐患|road;park;river
BJ0401|古树;古树名木;几百年的老樟树;挂牌保护的古树|树干被挖空;叶子发黄像是得了病;被人钉钉子挂东西;护栏坏了|怕古树死掉;古树保护不到位;可惜了这么老的树|village;park
BJ0402|行道树;路边的树;树枝;梧桐树|枯死了;树枝断了挂在上面;长得太密挡住路灯;歪向马路|刮风怕砸到人;挡住红绿灯;影响行人通行|road;estate
BJ0403|绿地;草坪;绿化带;公共绿地|被人踩秃了黄土裸露;被人种了菜;绿化被毁;被挖了|刮风就扬尘;影响环境;绿化没人管|road;estate;park
BJ0404|花坛;花箱;花钵;路边的花坛|被撞碎了;花都死了;不见了;破损|影响美观;碎片散落在路边;影响市容|road;park
BJ0405|树池;护树板;树池盖板;护树栏|盖板缺了;翘起来;破损;空着一个大坑|晚上走路容易绊倒;老人摔过跤;存在安全隐患|road
BJ0406|雕塑;景观小品;城市雕塑;公园里的雕像|被人涂画了;破了一块;掉色生锈;歪了|影响美观;小孩爬上去危险;影响城市形象|park;road
BJ0407|座椅;长椅;公园的休闲椅;路边的凳子|坏了;木条断了;被拆走了;螺丝松动|老人没地方坐;坐上去会翻;容易划伤人|park;road
BJ0501|房子;老房子;危房;隔壁的旧楼|墙上裂了好几道缝;往一边倾斜;屋檐掉砖块;楼板开裂|担心房子倒塌;住在里面提心吊胆;下面还有人走|home;village
BJ0502|空置房;空房子;闲置的公房|门窗都破了;被流浪汉住进去了;有人在里面堆东西;长期没人管|存在安全隐患;晚上有陌生人进出;影响周边居民|estate;village
BJ0503|公房;直管公房;老公房楼道|楼梯扶手坏了;屋顶漏水;楼道灯坏了;墙皮脱落|住户出行不方便;下雨屋里漏水;老人上下楼不安全|home
BJ0504|闲置地块;空地;拆迁后的空地;荒地|堆满了垃圾;围挡倒了;杂草比人高;被人私自围起来种菜|蚊虫滋生;有人乱倒垃圾;存在安全隐患|road;village
BJ0601|河道护栏;河边的栏杆;河岸;驳岸|断了一截;锈断了;塌了一块;松动|小孩在河边玩很危险;怕有人掉进河里;存在安全隐患|river
BJ0602|健身器材;健身设施;小区健身路径;单杠|坏了;螺丝松了晃得厉害;断了;表面生锈有毛刺|老人锻炼容易受伤;小孩玩很危险;没法用|estate;park
BJ0603|排涝泵站;防汛闸门;排水泵;防汛设施|泵坏了不转;闸门打不开;设备漏电;防汛沙袋不见了|下大雨要淹了;汛期快到了很担心;排水不了|river;village;road
BJ0604|充电桩;电动汽车充电桩;公共充电设施|坏了充不了电;线缆破皮;冒烟有焦味;屏幕不亮|有触电危险;充电不了影响出行;怕起火|estate;road
BJ0605|灭火器;消防箱;公共区域的消防器材|过期了;不见了;箱子是空的;压力表指针在红区|着火了用不了;存在消防隐患;很不放心|estate;public
BJ0606|应急避难场所;避难场所指示牌;应急避难点|指示牌不见了;大门锁着进不去;设施损坏;被占用堆东西|真有灾害找不到地方;应急功能用不了;存在隐患|park;public
SJ0101|路面;人行道;道路;街面|很脏没人扫;落叶堆了一层;到处是烟头纸屑;一地的泥|影响市容;走路都脏鞋;环境很差|road;station;market
SJ0102|垃圾;生活垃圾;一堆垃圾;垃圾袋|堆在路边没人清理;乱丢一地;堆成小山;扔在绿化带里|散发臭味;苍蝇很多;影响环境卫生|road;estate;market;village
SJ0103|建筑垃圾;装修垃圾;渣土;一堆碎砖头|堆在路边好几天;倒在空地上;占了半条路;越堆越多|扬尘很大;影响通行;影响市容|road;estate;village
SJ0104|垃圾桶;垃圾房;垃圾箱;小区垃圾桶|满了没人清运;都溢出来了;垃圾堆在桶外面;好几天没人拉|臭得不行;夏天苍蝇蚊子多;污水流一地|estate;market;road
SJ0105|河面;河道;河里;水面|漂着很多垃圾;有一层油污;水葫芦堆满了;漂着死鱼|河水发臭;影响环境;夏天味道很大|river;village
SJ0106|绿化带;绿地;花坛里|扔满了垃圾;堆放杂物;有人倒剩菜;塑料袋挂满了|看着很脏;有异味;影响市容|road;estate;park
SJ0107|墙上;电线杆上;楼道墙面;桥墩|被乱涂乱画;贴满了小纸条;被喷了涂鸦;写满了电话号码|影响市容;很难看;刚清理完又贴|road;estate;home
SJ0108|有人;路边;空地上;小区后面|在烧垃圾;焚烧树叶;烧东西冒黑烟;烧废旧电线|烟很大呛得喘不过气;窗户都不敢开;怕引发火灾|village;estate;road
SJ0109|死猫;死狗;动物尸体;死老鼠|躺在路中间;在绿化带里;在小区门口;发臭了|气味难闻;小孩看了害怕;影响卫生|road;estate;park
SJ0110|饭店油烟;餐馆排烟;烧烤店油烟;楼下饭店的烟道|直接往外排;熏到楼上住户;油烟管道正对窗户;没装净化器|家里窗户都不能开;衣服都是油烟味;呛得咳嗽|shop;estate
SJ0111|沿街晾晒;阳台外晾衣服;在路边晾被子;晾衣架|挂到人行道上;挂在护栏上;横在路上;挂满了|影响市容;滴水到行人身上;看着很乱|road;village
SJ0201|小广告;牛皮癣;办证广告;开锁小广告|贴得到处都是;喷在墙上;刚清理又贴上;贴在门上|影响市容;很难清理;小区很脏乱|estate;home;road
SJ0202|广告横幅;条幅;户外广告;大型广告牌|没有审批就挂出来了;挂在路口;拉在树上;占了整面墙|影响市容;挡住视线;存在安全隐患|road;shop
SJ0203|宣传咨询摊;推销摊位;促销活动;办卡的摊子|占了人行道;摆在路口;放大音响;拦路发东西|影响通行;很吵;行人被拦住|road;market;station
SJ0204|发传单的人;发小广告的人;派单的|在路口拦人发;往车窗里塞;发完扔一地;在小区里每家门缝塞|地上全是纸;很烦人;影响市容|road;estate;station
SJ0205|店招;牌匾;招牌;门头广告|字掉了一半;破了个大洞;灯箱坏了;褪色残缺|影响市容;怕掉下来;看着很破|shop;road
SJ0301|工地;施工队;隔壁在建的楼盘;修路的|半夜还在施工;凌晨就开工;天天加班干到很晚;周末也在敲|根本睡不着觉;孩子没法学习;老人心脏受不了|site;road
SJ0302|工地;在建工地;施工现场;拆迁工地|灰尘很大;土堆没有覆盖;没有洒水;车辆出入带出泥|窗户都不敢开;家里全是灰;呼吸都难受|site;road
SJ0303|渣土;泥浆;路面;水泥浆|被车撒了一路;一路都是泥;撒得到处都是;洒在路中间|下雨很滑;晴天扬尘;电动车差点滑倒|road;site
SJ0304|违章搭建;违建;私搭乱建;违法建设|正在楼顶加盖;在院子里搭棚子;正在扩建;在绿地上打地基|影响邻居采光;存在安全隐患;要求马上制止|estate;home;village
SJ0305|违章建筑;违建;老违建;搭的彩钢棚|建好好几年了一直不拆;占用公共通道;侵占绿地;挡住消防通道|影响通行;存在消防隐患;多次反映没人拆|estate;home;village
SJ0306|施工围挡;工地围墙;围挡|倒了一片;破了个洞;歪向人行道;占了半条路|行人经过很危险;小孩能钻进工地;影响通行|site;road
SJ0307|道路开挖;挖开的路面;修管道挖的坑|挖完一直没填;铺了钢板没恢复;坑边没有警示;填得坑坑洼洼|车辆通行困难;晚上很危险;影响出行|road;estate
SJ0308|渣土车;泥头车;工程车|没盖篷布;超载;闯红灯横冲直撞;半夜轰鸣经过|一路撒渣土;很危险;吵得睡不着|road;site
SJ0401|路面;人行道;地面;路中间|塌下去一个大洞;突然下陷;出现塌陷;有个坑越来越大|车辆掉进去很危险;已经围起来了但没人修;担心继续塌|road;estate
SJ0402|自来水管;供水管道;水管;地下水管|爆了;破了往外喷水;漏水很严重;整条路都是水|浪费大量自来水;附近都停水了;路面积水|road;estate
SJ0403|燃气;煤气;天然气管道;燃气管|有很浓的味道;好像泄漏了;闻到煤气味;管子漏气|非常危险;怕爆炸;请马上派人来|estate;home;shop
SJ0404|道路;路口;地下通道;小区门口|积水很深;淹到小腿了;积水过不去;下雨就内涝|车辆熄火;行人没法通过;积水进了店里|road;estate;station
SJ0405|路面;桥面;坡道;人行道|结冰了;积雪没人清;很滑;冻住了|好几个人摔倒了;车辆打滑;出行危险|road
SJ0406|房子;楼里;仓库;电动车|着火了;冒浓烟;起火了;有火光|很危险;请马上派消防;人员被困|home;estate;shop;company
SJ0407|大树;行道树;树;广告牌边上的树|倒在路上;被风刮倒了;大树枝断下来了;压在车上|路被堵住了;砸到了电线;影响通行|road;estate;park
SJ0408|污水;下水道;污水井;化粪池|往外冒;堵了冒到路上;一直在外溢;倒灌进家里|臭气熏天;路上全是污水;家里进了污水|road;estate;home
SJ0409|很多人;一群人;工人;业主|聚集在门口;围堵大门;拉横幅;聚集讨要说法|影响交通;情绪激动;担心出事|company;site;estate;public
SJ0501|流动摊贩;游商;卖水果的三轮车;小摊贩|在路口摆摊;推着车到处卖;在学校门口卖东西;天天在这里|影响交通;垃圾一地;城管走了又来|road;school;station
SJ0502|门店;店家;水果店;小饭店|把东西摆到门外;桌子摆到人行道上;店外经营;占了半条人行道|行人只能走马路;影响通行;影响市容|shop;road;market
SJ0503|摊位;马路市场;卖菜的;夜市摊|占道摆卖;把路占了;摆满了人行道;早上在路边卖菜|车辆过不去;垃圾遍地;影响出行|market;road
SJ0504|机动车;私家车;汽车;货车|停在人行道上;乱停在路口;停在盲道上;长期停在路边占道|行人没法走;堵住了小区出入口;影响通行|road;estate;school;hospital
SJ0505|电动车;自行车;非机动车;电瓶车|乱停乱放;把路堵了;停在盲道上;停满了人行道|行人过不去;影响通行;很乱|road;station;market
SJ0506|共享单车;共享电单车;小黄车;哈啰单车|堆成小山;乱停一地;堆在地铁口;倒了一大片|影响通行;盲道被占;看着很乱|station;road
SJ0507|烧烤摊;露天烧烤;夜宵摊|在路边烧烤;烟熏火燎到半夜;占道摆桌子;在小区门口烧烤|油烟很大;吵到半夜;垃圾满地|road;estate;market
SJ0508|地锁;地桩;私人地锁;石墩|装在公共车位上;占了公共通道;私自安装;把车位圈起来了|别人停不了车;影响通行;很不公平|estate;road
SJ0509|乞讨人员;卖艺的;流浪人员|在路口乞讨;拉着音响卖唱;睡在桥洞下;强行讨钱|影响秩序;有点吓人;天冷担心出事|station;road;park
ZL0101|邻居;楼上邻居;隔壁邻居;对门邻居|因为漏水吵起来了;占用公共楼道起了矛盾;因为停车发生争吵;家里养狗吵架|双方闹得很僵;差点打起来;希望社区调解|home;estate;village
ZL0102|家里;丈夫;儿女;老人赡养|家庭闹矛盾;动手打人;不赡养老人;离婚争孩子抚养|老人没人照顾;孩子受影响;希望帮忙调解|home;village
ZL0103|承包地;山林;田地;村里的土地|界线有争议;被别人占用;征地补偿有分歧;承包合同有纠纷|双方争执不下;影响生产;希望村里调处|village
ZL0104|宅基地;房屋;院墙;自建房|邻居建房越界;挡住了采光;滴水到我家;宅基地界址有争议|两家闹得很厉害;影响正常生活;希望调解|village;home
ZL0105|欠款;借款;工程款;货款|一直不还;拖了一年多;对方失联;赖账不给|生活困难;讨要无门;希望帮助协调|none;company
ZL0106|医院;医生;手术;治疗|出了问题;收费有疑问;误诊;态度很差|家属很不满;要求说法;希望调处|hospital
ZL0107|商家;健身房;培训机构;理发店|办了预付卡跑路了;不给退款;卖假货;服务与承诺不符|钱要不回来;消费者权益受损;希望处理|shop;none
ZL0201|电动车;电瓶车;电动自行车|在楼道里充电;从楼上拉电线充电;推进电梯上楼;停在楼道充电|很容易起火;存在消防隐患;大家都很担心|home;estate
ZL0202|液化气瓶;煤气罐;燃气软管;燃气灶|在店里违规使用;软管老化开裂;放在地下室;好几个气罐堆在一起|怕爆炸;存在安全隐患;很危险|shop;home;market
ZL0203|化学品;油漆稀料;危险品;不明桶装液体|堆在仓库里;储存在民房;随意堆放;有刺鼻气味|怕爆炸起火;有毒气味;存在重大隐患|company;village;estate
ZL0204|外墙瓷砖;空调外机;阳台花盆;墙皮|往下掉;松动快掉了;支架锈了;已经掉下来砸到车|下面人来人往很危险;差点砸到人;存在高空坠物隐患|estate;home;road
ZL0205|电梯;小区电梯;锅炉;商场扶梯|困人了;经常突然停;运行时抖动异响;检验过期了|有人被关在里面;坐着提心吊胆;存在安全隐患|estate;home;public
ZL0206|楼上住户;装修的人家;邻居;底楼商铺|拆了承重墙;打通了墙体;改变房屋结构;在楼顶加水池|房子出现裂缝;影响整栋楼安全;很担心|home;estate
ZL0301|消防通道;生命通道;消防车道;安全出口|被车堵死了;堆满了东西;被锁起来了;被占用|着火了消防车进不来;存在重大隐患;很危险|estate;public;market
ZL0302|楼道;楼梯间;走廊;地下室通道|堆满了杂物;放了很多纸箱;堆了旧家具;被邻居堆东西|影响通行;有火灾隐患;说了也不清|home;estate
ZL0303|厂房;小作坊;门店;仓库|里面住人;楼上住人楼下生产;隔出来给工人住;违规住人|一旦着火人跑不出来;存在重大消防隐患;很危险|company;shop;village
ZL0304|烟感;喷淋;消防栓;应急灯|不好用;坏了没人修;被拆掉了;一直在报警|着火了起不到作用;存在消防隐患;很不放心|estate;public;home
ZL0401|无证小饭馆;小作坊;路边熟食店;无证餐饮|没有营业执照;没有卫生许可证;在家里加工食品;无证经营|卫生没保障;吃坏了肚子;存在食品安全隐患|shop;village;market
ZL0402|超市;小店;菜场摊位;便利店|卖过期食品;卖变质的肉;卖假冒饮料;食品发霉了|吃了拉肚子;担心吃出问题;希望查处|shop;market
ZL0403|学校门口的小店;校园周边小卖部;学校附近的摊贩|卖三无零食;卖辣条没有标签;卖过期饮料;卖不卫生的小吃|孩子吃了肚子疼;家长很担心;影响学生健康|school
ZL0404|饭店;餐馆后厨;食堂;外卖店|卫生很差;有老鼠蟑螂;餐具不消毒;厨师不戴口罩|吃了不放心;看着很恶心;存在食品安全隐患|shop;company
ZL0501|楼上;隔壁;邻居家;楼下|装修噪音很大;半夜拖椅子走路很响;狗一直叫;每天很晚还在唱歌|晚上根本睡不着;老人孩子休息不了;沟通过没用|home;estate
ZL0502|商家;店铺;KTV;酒吧|高音喇叭一直喊;音响开得很大;放音乐到半夜;门口喇叭循环播放|吵得没法休息;影响周边住户;说了不听|shop;market;road
ZL0503|工地;打桩机;施工机械;搅拌车|噪音很大;夜里还在施工;凌晨打桩;天天轰隆隆|睡不着觉;心脏受不了;孩子没法写作业|site;road
ZL0504|广场舞;跳舞的大妈;晨练的人;公园里唱歌的|音响开得很大;跳到很晚;一大早就放音乐;天天在楼下|吵得没法休息;孩子没法学习;影响周边居民|park;estate;public
ZL0505|高架;主干道;马路;车辆|噪音太大;晚上大货车很多;经常有人鸣笛;改装车炸街|整夜睡不好;窗户关着也吵;希望装隔音屏|road
ZL0601|物业;物业公司;小区保安;保洁|服务很差;保洁不到位;门岗形同虚设;报修没人来|小区环境越来越差;业主意见很大;多次投诉没用|estate
ZL0602|物业费;停车费;物业;收费|乱涨价;收费不透明;不交就不让进车;多收费用|业主意见很大;不合理;希望给个说法|estate
ZL0603|电梯;小区电梯;楼里的电梯|坏了好久没修;停运一个多月;维修一直拖;修好又坏|老人只能爬楼;上下楼很不方便;物业推来推去|estate;home
ZL0604|自来水;二次供水;家里的水;小区的水|水压太小;水发黄有异味;突然停水;水箱很脏|没法洗澡做饭;担心水质问题;生活受影响|estate;home
ZL0605|业委会;业主大会;业委会选举;换届|迟迟不能成立;选举程序有问题;换届拖着不办;账目不公开|业主意见很大;希望街道指导;小区管理混乱|estate
ZL0701|老板;公司;包工头;工厂|拖欠工资;三个月没发工资;不给结工钱;年底不发工资|生活都成问题;过年回不了家;多次讨要无果|company;site;none
ZL0702|公司;单位;老板;用人单位|无故辞退;不签劳动合同;不给经济补偿;强迫离职|权益受损;希望讨个说法;想申请仲裁|company;none
ZL0703|社保;养老保险;医保;公司社保|单位没给交;断缴了;转移办不了;缴费基数不对|影响退休;看病报销不了;不知道怎么办|company;none
ZL0704|工作;就业;失业登记;技能培训|找不到;想咨询;办不了;想报名|家里生活困难;希望提供帮助;想了解政策|none
ZL0801|低保;临时救助;困难补助;特困供养|申请了没下文;想申请不知道流程;被取消了;补助没发|家里生活很困难;看病没钱;希望帮助|none;home;village
ZL0802|独居老人;家里老人;高龄老人;养老服务|没人照顾;想申请助餐;需要上门服务;行动不便|老人生活困难;子女不在身边;希望社区帮忙|home;village
ZL0803|残疾人;家里残疾的孩子;轮椅;残疾证|申请辅具没下文;补贴没发;出行困难;办证遇到困难|生活很不方便;希望得到帮扶;家里负担重|home;none
ZL0804|孩子入学;学区;转学;小学报名|不知道划到哪个学校;入学材料有问题;转学办不了;学位不够|孩子马上要开学;家长很着急;希望尽快答复|school;none
ZL0805|社区医院;家庭医生;卫生服务中心;医院|挂号很难;家庭医生签约了没人管;配不到药;服务态度差|看病很不方便;老人慢病没人管;希望改进|hospital;none
ZL0806|户口;身份证;居住证;落户|办不下来;材料要求不清楚;跑了好几趟;迁移手续有问题|影响孩子上学;急着用;希望尽快办理|none
ZL0807|停电;停水;停气;电|突然停了;没有通知就停了;停了一整天;反复停|冰箱里东西都坏了;没法做饭;生活受影响|estate;home;village
ZL0901|发热病人;发烧的人;疑似传染病人|在小区里;从外地回来发烧;在出租房里;没有就医|担心传染;家人很害怕;希望尽快处理|estate;home
ZL0902|好几个人;一个工地的工人;同一个班的孩子|同时发烧;都出现腹泻;都有同样症状;接连生病|担心是传染病;家长很恐慌;希望调查|school;site;company
ZL0903|商场;餐馆;农贸市场;公共场所|没有消毒;防控措施不落实;没有通风;不按要求做|担心传播疾病;存在防疫隐患;希望督促|market;shop;public
ZL1001|河水;小河;池塘;河道|发黑发臭;颜色变红了;有很多死鱼;表面一层泡沫|臭味很大;担心有毒;影响周边环境|river;village
ZL1002|工厂;废气;异味;空气|有刺鼻的味道;晚上偷偷排气;冒黑烟;臭得很|呛得喘不过气;窗户不敢开;担心影响健康|company;village;estate
ZL1003|工厂;排污口;企业;作坊|偷偷往河里排污;夜里排废水;管子直通雨水管;排出彩色污水|河水被污染了;鱼都死了;希望严查|company;river;village
ZL1004|秸秆;稻草;田里;农田|有人在烧;一片都在烧;烧得浓烟滚滚;焚烧秸秆|烟很大影响出行;呛得受不了;怕引发火灾|village
ZL1005|废料;危险废物;固体废物;工业垃圾|被偷偷倒在空地上;倒在河边;夜里有人来倾倒;堆了一大堆|有刺鼻气味;污染土地;希望查处|village;river;road
ZL1101|党员志愿者;党员服务队;结对帮扶;志愿服务|想请社区安排;需要上门帮忙;想报名参加;希望多组织|老人需要帮助;想为社区出力;希望对接|estate;none
ZL1102|党支部;党组织关系;党员;组织生活|转接办不了;活动不正常;联系不上支部;党费缴纳有问题|影响党员正常组织生活;希望指导;不知道找谁|none
ZL1103|红色物业;小区党支部;党建联建;物业党建|没发挥作用;想了解怎么建;活动没有开展;联席会议没开|小区治理还是老样子;业主希望改进;希望指导|estate
ZL1201|企业;公司;厂里;小微企业|想申请惠企政策;用工有困难;用电用地有诉求;融资困难|影响生产经营;希望政府帮助;不知道找哪个部门|company
ZL1202|办事窗口;审批;工作人员;部门|办事很难;来回跑好几趟;审批拖着不办;态度推诿|影响企业经营;营商环境差;希望督促|company;none
ZL1203|商家;停车场;超市;景区|乱收费;不明码标价;价格虚高;收费和标价不一致|消费者吃亏;很不合理;希望查处|shop;market;road
ZL1204|种子;化肥;农药;养殖|质量有问题;价格太贵;苗死了;需要技术指导|庄稼减产;损失很大;希望帮助|village
ZL1301|可疑人员;小偷;陌生人;有人|在小区里转悠;撬电动车;半夜翻墙;偷东西|居民很害怕;财物被盗;治安有隐患|estate;home;village
ZL1302|骗子;陌生电话;网上刷单;冒充客服|骗了钱;让转账;冒充公检法;说要退款|被骗了好几万;老人差点上当;希望帮忙追回|none;home
ZL1303|棋牌室;出租屋;足浴店;麻将馆|有人聚众赌博;疑似涉黄;晚上人进进出出;赌资很大|影响风气;居民很担心;希望查处|shop;estate;village
ZL1304|精神病人;重点人员;情绪异常的人|在街上乱跑;打砸东西;扬言伤人;不吃药发病|居民很害怕;家属管不住;担心出事|estate;home;village
ZL1401|山体;边坡;山坡;挡土墙|有裂缝;滑坡了;有石头滚下来;下雨后松动|下面有房子很危险;担心塌方;请尽快处理|village;road
ZL1402|台风;暴雨;河水;水位|快来了需要转移;水位涨得很快;危房里还住着人;堤坝渗水|担心被淹;老人没人转移;请马上处理|village;river;estate
ZL1403|工厂;车间;企业;有限空间|违章作业;工人不戴安全帽;在下水井作业没防护;设备没有防护罩|容易出人命;存在重大安全隐患;希望检查|company;site
"""

# Place phrases per kind; slots: {road} {road2} {estate} {market} {school} {river} {shop} {village} {park}
# {company} {station} {hospital} {n} {bldg} {unit}.
PLACES: dict[str, tuple[str, ...]] = {
    "road": ("{road}{n}号附近", "{road}与{road2}交叉口", "{road}上", "{road}公交站旁", "{road}{estate}门口",
             "{road}靠近{estate}的地方"),
    "estate": ("{estate}小区内", "{estate}{bldg}幢楼下", "{estate}南门", "{estate}小区门口", "{estate}地下车库入口",
               "{estate}{bldg}号楼旁边"),
    "home": ("{estate}{bldg}幢{unit}单元", "{estate}{bldg}幢", "家住{estate}，{bldg}幢", "{estate}{bldg}幢楼道"),
    "market": ("{market}门口", "{market}周边", "{market}旁边的路上", "{market}东侧"),
    "school": ("{school}门口", "{school}附近", "{school}对面", "{school}放学的路上"),
    "site": ("{road}{estate}旁边的工地", "{road}在建工地", "{estate}对面的工地", "{road}地铁施工段"),
    "river": ("{river}边", "{river}{road}段", "{river}靠近{estate}的一段", "{river}桥下"),
    "shop": ("{road}上的一家{shop}", "{estate}底商的{shop}", "{road}{n}号{shop}", "{market}旁边的{shop}"),
    "village": ("{village}", "{village}村口", "{village}{n}组", "{village}村委会附近"),
    "park": ("{park}", "{park}里面", "{park}东门", "{park}健身广场"),
    "company": ("{company}", "{road}上的{company}", "{company}厂区"),
    "station": ("{station}", "{station}出口", "{station}旁边", "{road}{station}"),
    "hospital": ("{hospital}", "{hospital}门口", "{hospital}停车场"),
    "public": ("{estate}社区服务中心", "{road}一栋商务楼", "{market}里面", "{park}"),
    "none": ("",),
}

ROADS = ("天童南路", "四明中路", "鄞州大道", "宁南南路", "钱湖北路", "首南中路", "日丽中路", "泰康中路", "惠风东路",
         "嵩江中路", "学士路", "天童北路", "中山东路", "桑田路", "福明路", "兴宁路", "甬港南路", "钟公庙路", "前河南路",
         "鄞县大道", "广德湖南路", "中河路", "百丈东路", "江东南路", "贸城中路", "央马路", "宁穿路", "院士路", "聚贤路",
         "沧海路", "东钱湖大道", "天童路", "宝庆路", "松下街", "河清南路", "昌乐路", "民安东路", "镇安路", "扬帆路",
         "江南路", "诚信路", "金达南路", "泰安中路", "萧皋西路", "儒雅路", "杨木碶路", "四明东路", "彩虹南路")
ESTATES = ("金色水岸", "印象城", "香樟苑", "天合家园", "锦绣江南", "春江花城", "都市森林", "东方丽都", "嘉和花苑",
           "和美城", "樱花公园", "格兰春天", "世纪东方", "万科城", "金域蓝湾", "绿城百合", "泰康新村", "常青藤",
           "明湖家园", "南苑新村", "东裕新村", "新城花园", "潘火佳园", "长丰新村", "丽园小区", "黄鹂新村", "钟秀苑",
           "紫郡", "彩虹坊", "华府名苑", "雍城世家", "四季新城", "下应新村", "姜山花园", "嘉怡苑", "宁创家园")
MARKETS = ("菜场", "农贸市场", "生鲜市场", "水产市场", "小菜场", "夜市")
SHOPS = ("饭店", "烧烤店", "小超市", "水果店", "火锅店", "面馆", "快餐店", "棋牌室", "足浴店", "五金店", "便利店", "KTV")
RIVERS = ("前塘河", "中塘河", "后塘河", "奉化江", "甬新河", "南塘河", "东钱湖", "印洪河", "宋诏桥河", "幸福河")
PARKS = ("鄞州公园", "日湖公园", "湿地公园", "城市广场", "社区小公园", "滨江绿道", "文化广场")
STATIONS = ("地铁站", "公交首末站", "火车站南广场", "公交枢纽", "地铁口")
COMPANIES = ("一家服装厂", "一家五金加工厂", "物流园", "一家电子厂", "科创园里的公司", "一家模具厂", "机械厂", "印刷厂")
HOSPITALS = ("区人民医院", "社区卫生服务中心", "中医院", "妇幼保健院", "第二医院")
SCHOOLS = ("小学", "实验小学", "中学", "幼儿园", "实验学校")

TIMES = ("最近", "这几天", "每天晚上", "每天早上", "今天上午", "昨天晚上", "从上周开始", "一直以来", "刚才", "周末")
NIGHT_TIMES = ("晚上十点以后", "凌晨一两点", "每天晚上十一点多", "半夜", "凌晨五点多", "晚上九点到十二点")
DURATIONS = ("好几天了", "一个多月了", "一个星期了", "半个多月了", "两三天了", "已经很久了", "今天刚发现", "反映过好几次了")
ASKS = ("希望尽快处理。", "请相关部门尽快处理。", "希望有关部门来看一下。", "请尽快派人处理。", "望尽快解决。",
        "要求处理并回复。", "希望能给个答复。", "请核实处理。")
NIGHT_LEAVES = frozenset({"SJ0301", "ZL0501", "ZL0502", "ZL0503", "ZL0504", "ZL0505", "SJ0507", "SJ0308"})
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅钟姜"


# Leaves a caller (or an operator) easily mixes up: same object, different owner; same nuisance, different source.
CONFUSABLE: tuple[tuple[str, ...], ...] = (
    ("BJ0101", "BJ0102", "BJ0103", "BJ0105", "BJ0106", "BJ0107"), ("BJ0104", "SJ0404", "SJ0408"),
    ("ZL0501", "ZL0502", "ZL0503", "ZL0504", "ZL0505", "SJ0301"), ("SJ0304", "SJ0305"), ("SJ0301", "ZL0503", "SJ0302"),
    ("BJ0605", "ZL0304", "BJ0108"), ("ZL0205", "ZL0603"), ("SJ0102", "SJ0104", "SJ0103", "SJ0106", "BJ0303", "BJ0304"),
    ("SJ0501", "SJ0502", "SJ0503", "SJ0507"), ("SJ0504", "SJ0505", "SJ0506", "ZL0301"), ("SJ0110", "ZL1002"),
    ("SJ0108", "ZL1004"), ("SJ0105", "ZL1001", "ZL1003"), ("ZL0604", "ZL0807", "SJ0402"), ("SJ0403", "ZL0202", "BJ0107"),
    ("BJ0402", "SJ0407", "BJ0401"), ("BJ0206", "BJ0207", "SJ0401", "SJ0307"), ("SJ0201", "SJ0107", "SJ0204"),
    ("ZL0601", "ZL0602", "ZL1103"), ("ZL0701", "ZL0702", "ZL0703"), ("ZL0401", "ZL0404", "ZL0402", "ZL0403"),
    ("ZL0101", "ZL0104", "ZL0302"), ("BJ0501", "ZL0206", "BJ0503"), ("ZL0801", "ZL0802", "ZL0803"),
    ("ZL0201", "ZL0302", "ZL0301"), ("SJ0202", "SJ0205", "BJ0306"), ("ZL1301", "ZL1303"),
    ("ZL1401", "ZL1402", "BJ0603"), ("BJ0109", "BJ0307"), ("ZL0107", "ZL1203"), ("SJ0303", "SJ0308"),
)


def neighbours(code: str) -> tuple[str, ...]:
    """Leaves easily confused with `code`: its confusion groups, else its siblings under the same major."""
    found = {c for g in CONFUSABLE if code in g for c in g} - {code}
    if not found:
        found = {c for c in LEAVES if c[:4] == code[:4]} - {code}
    return tuple(sorted(found))


def misfiled(code: str, rng: random.Random, share: float = 0.07) -> str:
    """The category an operator files the report under: usually `code`, sometimes a confusable neighbour."""
    if rng.random() < share:
        options = neighbours(code)
        if options:
            return rng.choice(options)
    return code


@dataclass(frozen=True)
class LeafText:
    code: str
    subjects: tuple[str, ...]
    problems: tuple[str, ...]
    effects: tuple[str, ...]
    places: tuple[str, ...]


def _parse() -> dict[str, LeafText]:
    out: dict[str, LeafText] = {}
    for line in (x.strip() for x in SPECS.strip().splitlines()):
        if not line:
            continue
        code, subjects, problems, effects, places = line.split("|")
        out[code] = LeafText(code, tuple(subjects.split(";")), tuple(problems.split(";")),
                             tuple(effects.split(";")), tuple(places.split(";")))
    return out


LEAVES: dict[str, LeafText] = _parse()


@dataclass(frozen=True)
class Place:
    """Names around a case's location, so the text mentions the same road, estate or market as its address."""

    road: str
    road2: str
    estate: str
    village: str
    market: str
    school: str


@dataclass(frozen=True)
class Text:
    title: str
    description: str
    address: str


def place_for(rng: random.Random, community: str, hint: str | None = None) -> Place:
    """Names for a point in `community` (its short name roots the estate, village, market and school names)."""
    root = community.removesuffix("社区").removesuffix("村") or community
    road, road2 = rng.sample(ROADS, 2)
    estate = rng.choice(ESTATES) if rng.random() < 0.7 else f"{root}{rng.choice(('新村', '花园', '家园', '小区'))}"
    village = community if community.endswith("村") else f"{root}村"
    market = f"{root}{rng.choice(MARKETS)}" if hint != "market" else f"{root}农贸市场"
    school = f"{root}{rng.choice(SCHOOLS)}"
    return Place(road, road2, estate, village, market, school)


def _fill(template: str, rng: random.Random, p: Place) -> str:
    if "{" not in template:
        return template
    return template.format(
        road=p.road, road2=p.road2, estate=p.estate, market=p.market, school=p.school, village=p.village,
        river=rng.choice(RIVERS), shop=rng.choice(SHOPS), park=rng.choice(PARKS), company=rng.choice(COMPANIES),
        station=f"{p.road}{rng.choice(STATIONS)}" if rng.random() < 0.5 else rng.choice(STATIONS),
        hospital=rng.choice(HOSPITALS), n=rng.randint(1, 999), bldg=rng.randint(1, 36), unit=rng.randint(1, 4))


def caller_name(rng: random.Random) -> str:
    """What the operator writes down: often only a surname and 先生/女士."""
    surname = rng.choice(SURNAMES)
    r = rng.random()
    if r < 0.55:
        return surname + rng.choice(("先生", "女士"))
    if r < 0.7:
        return "匿名"
    return surname + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰") + (
        rng.choice("国志新海燕文斌波宁浩凯") if rng.random() < 0.6 else "")


def _leaf(code: str) -> LeafText:
    found = LEAVES.get(code)
    if found is not None:
        return found
    # A category an administrator added: its own name is the subject.
    return LeafText(code, ("该问题",), ("需要处理",), ("影响生活",), ("road", "estate"))


def compose(code: str, rng: random.Random, place: Place, channel: str, *, category_name: str = "",
            other: str | None = None, night: bool = False, prefer: str | None = None) -> Text:
    """One report of leaf `code` at `place`, as taken on `channel` (hotline / grid / resident / other).

    `other`: a second leaf the caller also mentions (noise that blurs the categories). `night`: the report was
    made at night (noise complaints then say so). `prefer`: the kind of place (a key of PLACES) where the case
    is, used when the leaf happens at such places (a market's 占道经营 mentions the market)."""
    leaf = _leaf(code)
    if leaf.subjects == ("该问题",) and category_name:
        leaf = LeafText(code, (category_name,), leaf.problems, leaf.effects, leaf.places)
    subject, problem, effect = rng.choice(leaf.subjects), rng.choice(leaf.problems), rng.choice(leaf.effects)
    if rng.random() < 0.15 and code in LEAVES:  # callers do not know whose manhole cover it is
        near = neighbours(code)
        if near:
            subject = rng.choice(LEAVES[rng.choice(near)].subjects)
    kind = prefer if prefer in leaf.places and rng.random() < 0.8 else rng.choice(leaf.places)
    where = _fill(rng.choice(PLACES[kind]), rng, place)
    address = where if kind not in ("none",) else ""
    if not address:
        address = f"{place.road}{rng.randint(1, 999)}号"
    when = rng.choice(NIGHT_TIMES) if (code in NIGHT_LEAVES and (night or rng.random() < 0.5)) else rng.choice(TIMES)
    duration, ask = rng.choice(DURATIONS), rng.choice(ASKS)
    at = where or ""

    # Title: the operator's summary, sometimes very short, sometimes vague.
    r = rng.random()
    if r < 0.12:
        title = f"{subject}{problem}"
    elif r < 0.2:
        title = f"反映{at}{subject}{problem}问题"
    elif r < 0.26:
        title = f"{at}{effect}" if at else f"{subject}问题"
    elif r < 0.31:
        title = f"关于{at}{subject}的诉求"
    else:
        title = f"{at}{subject}{problem}"

    # Description, by channel and tone.
    r = rng.random()
    if channel == "grid":
        body = rng.choice((
            f"网格员巡查发现：{at}{subject}{problem}，{effect}，已拍照上报。",
            f"巡查中发现{at}{subject}{problem}，现场{effect}，需相关部门处置。",
            f"日常走访时居民反映{at}{subject}{problem}，经现场查看属实，{effect}。",
            f"{at}{subject}{problem}，{effect}。",
        ))
    elif channel == "resident":
        body = rng.choice((
            f"{at}{subject}{problem}，{duration}，{effect}，{ask}",
            f"我是附近居民，{when}{at}{subject}{problem}，{effect}。麻烦管一管！",
            f"{subject}{problem}！{effect}。地点：{at or place.road}。",
            f"{when}{at}的{subject}{problem}，{duration}，{ask}",
        ))
    elif r < 0.45:
        body = f"市民来电反映：{when}{at}{subject}{problem}，{duration}，{effect}。{ask}"
    elif r < 0.7:
        body = f"来电人称，{at}{subject}{problem}，{effect}，{duration}。来电人{ask}"
    elif r < 0.85:
        body = (f"来电人说你好，我想反映一下，我们{at}那个{subject}{problem}，{duration}，{effect}，"
                f"麻烦你们来看看。") if at else f"来电人说你好，我{subject}的事情，{problem}，{duration}，{effect}，麻烦帮忙看看。"
    else:
        body = f"市民反映{at}{subject}{problem}。此前已反映过，至今未解决，{effect}。{ask}"
    if rng.random() < 0.06:  # vague: the caller only describes the consequence
        body = f"来电人反映{at}有问题，{effect}，{duration}，具体情况请现场核实。"
    if other is not None and other in LEAVES:
        o = LEAVES[other]
        body += f"另外，{rng.choice(o.subjects)}{rng.choice(o.problems)}，也请一并处理。"
    if rng.random() < 0.01:
        body = body.replace("垃圾", "拉圾")  # a frequent typo in hand-typed reports
    return Text(title=title[:100], description=body, address=address[:200])


def reply_text(rng: random.Random, close_criteria: str) -> str:
    """The department's reply when it reports the work done."""
    head = rng.choice(("已安排人员现场处置", "经现场核查并处理", "已联系责任单位整改", "已派员到场处理", "已处理完毕"))
    tail = rng.choice(("，已向来电人反馈。", "，现场照片已上传。", "。", "，后续将加强巡查。"))
    return f"{head}：{close_criteria}{tail}"


REJECT_REASONS = ("不属于本平台受理范围，已告知来电人通过诉讼途径解决", "经核实反映情况不属实", "属于政策咨询，已当场答复",
                  "诉求内容不明确，多次联系来电人未接通", "属于企业内部管理事项，已告知来电人")
SEND_BACK_REASONS = ("不属于本部门职责，请重新派遣", "该处设施产权不属于本单位，请核实权属后另行派遣",
                     "经现场核实属于属地管理事项，请派至属地街道")
REWORK_REASONS = ("现场核查问题仍然存在", "整改不到位，居民仍有反映", "只处理了一部分，请彻底整改")
ESCALATE_REASONS = ("涉及多个部门，需上级协调", "社区无力处置，需街道协调", "情况复杂，提请区中心协调")
SUSPEND_REASONS = ("等待产权单位确认责任", "需等待汛期结束后施工", "涉及诉讼，等待法院判决", "需协调资金，暂时挂起")
EXTENSION_REASONS = ("需协调多个部门联合处置，申请延期", "需采购材料，申请延期", "受天气影响无法施工，申请延期")
UNSATISFIED = ("问题没有真正解决", "处理太慢了", "只是表面上处理了一下", "没有人联系我")
