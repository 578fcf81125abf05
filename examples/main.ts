import { App } from "cdktf";
import { loadHaPairConfig } from "./config";
import { HaPairStack } from "./ha-pair";

const app = new App();
new HaPairStack(app, "ha-pair", loadHaPairConfig());
app.synth();
