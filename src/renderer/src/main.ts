import { mount } from 'svelte'
import App from './App.svelte'
import { installBrowserApi } from './browser-mode'

installBrowserApi()

const target = document.getElementById('app')
if (!target) throw new Error('index.html has no #app element')
export default mount(App, { target })
